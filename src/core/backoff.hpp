#pragma once
// Exponential backoff with full jitter (AWS architecture blog's "full jitter"):
// the wait before retry n is uniform in [0, min(max, base * 2^n)].

#include <chrono>
#include <cstdint>
#include <random>

namespace sm::core {

class Backoff {
  public:
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
            uint64_t seed = std::random_device{}())
        : m_base(base), m_max(max), m_rng(seed) {}

    // The ceiling for attempt n (0-based): min(max, base * 2^n).
    std::chrono::milliseconds ceiling(int attempt) const;
    // A random wait in [0, ceiling(attempt)].
    std::chrono::milliseconds delay(int attempt);

  private:
    std::chrono::milliseconds m_base;
    std::chrono::milliseconds m_max;
    std::mt19937_64 m_rng;
};

}  // namespace sm::core
