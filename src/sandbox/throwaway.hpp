#pragma once
// A throwaway cluster for one command (validate's expected schema, plan
// --trace, rewrite's proof): started with its state in a private temporary
// directory, and stopped and removed however the scope is left (an error, an
// interrupt).

#include <string>

#include "sandbox/cluster.hpp"
#include "util/files.hpp"

namespace sm::sandbox {

class ThrowawayCluster {
  public:
    // Starts it (start_cluster's errors); prefix names the temporary directory.
    explicit ThrowawayCluster(const std::string& prefix);
    // Stops it; a failure to stop is logged as a warning, never thrown.
    ~ThrowawayCluster();
    ThrowawayCluster(const ThrowawayCluster&) = delete;
    ThrowawayCluster& operator=(const ThrowawayCluster&) = delete;

    const ClusterState& state() const { return m_state; }
    std::string url(const std::string& dbname) const { return m_state.url(dbname); }

  private:
    util::TempDir m_dir;  // declared first: removed after the cluster stopped
    std::filesystem::path m_state_file;
    ClusterState m_state;
};

}  // namespace sm::sandbox
