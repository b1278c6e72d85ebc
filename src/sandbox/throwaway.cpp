#include "sandbox/throwaway.hpp"

#include "core/log.hpp"

namespace sm::sandbox {

ThrowawayCluster::ThrowawayCluster(const std::string& prefix)
    : m_dir(prefix),
      m_state_file(m_dir.path() / "sandbox.json"),
      m_state(start_cluster(m_state_file)) {}

ThrowawayCluster::~ThrowawayCluster() {
    try {
        stop_cluster(m_state_file);
    } catch (const std::exception& e) {
        core::log_warn("could not stop the throwaway cluster in " + m_state.root.string() + ": " +
                       e.what());
    }
}

}  // namespace sm::sandbox
