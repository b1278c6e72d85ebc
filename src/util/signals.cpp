#include "util/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace sm::util {
namespace {

std::atomic<int> g_signal{0};
std::mutex g_hook_mutex;
std::function<void()> g_hook;

sigset_t interrupt_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// SIGUSR2 is how the guard's destructor wakes the watcher to end it.
sigset_t watched_set() {
    sigset_t set = interrupt_set();
    sigaddset(&set, SIGUSR2);
    return set;
}

std::thread g_watcher;

void watch() {
    sigset_t set = watched_set();
    while (true) {
        int signo = 0;
        if (sigwait(&set, &signo) != 0) {
            continue;
        }
        if (signo == SIGUSR2) {
            return;
        }
        if (g_signal.exchange(signo) != 0) {
            // Second interrupt: the user insists.
            ::_exit(130);
        }
        std::function<void()> hook;
        {
            std::lock_guard lock(g_hook_mutex);
            hook = g_hook;
        }
        if (hook) {
            try {
                hook();
            } catch (...) {
                // The main thread still sees the interrupted flag.
            }
        }
    }
}

}  // namespace

InterruptGuard::InterruptGuard() {
    sigset_t set = watched_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    g_watcher = std::thread(watch);
}

InterruptGuard::~InterruptGuard() {
    pthread_kill(g_watcher.native_handle(), SIGUSR2);
    g_watcher.join();
    set_cancel_hook({});
}

bool interrupted() {
    return g_signal.load() != 0;
}
int interrupt_signal() {
    return g_signal.load();
}

void set_cancel_hook(std::function<void()> hook) {
    std::lock_guard lock(g_hook_mutex);
    g_hook = std::move(hook);
}

bool interruptible_sleep(std::chrono::milliseconds ms) {
    auto deadline = std::chrono::steady_clock::now() + ms;
    while (std::chrono::steady_clock::now() < deadline) {
        if (interrupted()) {
            return false;
        }
        auto left = deadline - std::chrono::steady_clock::now();
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
    }
    return !interrupted();
}

}  // namespace sm::util
