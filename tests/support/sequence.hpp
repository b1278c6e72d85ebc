#pragma once
// One order across every fake a test uses (sessions, the HTTP client, the
// backup tool, the reporter), so a test can say "this happened before that"
// even when the two were seen by different fakes.

#include <atomic>
#include <cstddef>

namespace sm::test {

// The next number of the process-wide sequence (1, 2, ...). Thread-safe.
inline size_t next_sequence() {
    static std::atomic<size_t> counter{0};
    return ++counter;
}

}  // namespace sm::test
