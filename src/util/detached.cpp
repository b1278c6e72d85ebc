#include "util/detached.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace sm::util {
namespace {

std::atomic<int> g_detached{0};

}  // namespace

void thread_detached() noexcept {
    g_detached.fetch_add(1);
}

void detached_thread_ended() noexcept {
    g_detached.fetch_sub(1);
}

int end_process(int code) noexcept {
    if (g_detached.load() == 0) {
        return code;
    }
    std::fflush(nullptr);
    std::_Exit(code);
}

}  // namespace sm::util
