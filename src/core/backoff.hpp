#pragma once
// Exponential backoff with full jitter (AWS architecture blog's "full jitter"):
// the wait before retry n is uniform in [0, min(max, base * 2^n)]. The random
// generator is seeded on the first delay(), so a Backoff that is never used
// (most transactions never retry) costs no seeding.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace sm::core {

class Backoff {
  public:
    // Without a seed, the first delay() takes one from std::random_device.
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
            std::optional<uint64_t> seed = std::nullopt)
        : m_base(base), m_max(max), m_seed(seed) {}

    // The ceiling for attempt n (0-based): min(max, base * 2^n).
    std::chrono::milliseconds ceiling(int attempt) const;
    // A random wait in [0, ceiling(attempt)].
    std::chrono::milliseconds delay(int attempt);

  private:
    std::chrono::milliseconds m_base;
    std::chrono::milliseconds m_max;
    std::optional<uint64_t> m_seed;
    std::optional<std::mt19937_64> m_rng;  // from the first delay()
};

}  // namespace sm::core
