#include "core/backoff.hpp"

#include <algorithm>

namespace sm::core {

std::chrono::milliseconds Backoff::ceiling(int attempt) const {
    int64_t ceiling = m_base.count();
    for (int i = 0; i < attempt && ceiling < m_max.count(); ++i) {
        ceiling *= 2;
    }
    return std::chrono::milliseconds(std::min<int64_t>(ceiling, m_max.count()));
}

std::chrono::milliseconds Backoff::delay(int attempt) {
    if (!m_rng) {
        m_rng.emplace(m_seed ? *m_seed : std::random_device{}());
    }
    std::uniform_int_distribution<int64_t> pick(0, ceiling(attempt).count());
    return std::chrono::milliseconds(pick(*m_rng));
}

}  // namespace sm::core
