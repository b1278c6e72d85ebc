#include "util/detached.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace sm::util {
namespace {

// Never reset: a detached thread may still be ending (its thread-local
// destructors) after it has said it is done.
std::atomic<bool> g_detached{false};

}  // namespace

void thread_detached() noexcept {
    g_detached.store(true);
}

int end_process(int code) noexcept {
    if (!g_detached.load()) {
        return code;
    }
    std::fflush(nullptr);
    std::_Exit(code);
}

}  // namespace sm::util
