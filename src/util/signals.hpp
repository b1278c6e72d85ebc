#pragma once
// SIGINT/SIGTERM handling for long-running commands.
//
// While an InterruptGuard lives, SIGINT and SIGTERM are blocked in every thread
// and a watcher thread waits for them with sigwait. On the first signal it sets
// the interrupted flag and calls the current cancel hook (from the watcher
// thread), which is how a running statement gets cancelled on the server.
// A second signal while the first is being handled exits at once with code 130.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace sm::util {

class InterruptGuard {
  public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// True once SIGINT or SIGTERM arrived under an InterruptGuard.
bool interrupted();
// The signal that arrived, or 0.
int interrupt_signal();

// Installs the function the watcher calls on a signal (replacing any earlier
// one); pass an empty function to clear it. The hook must be thread-safe.
void set_cancel_hook(std::function<void()> hook);

// Installs the hook for the lifetime of the object.
class ScopedCancelHook {
  public:
    explicit ScopedCancelHook(std::function<void()> hook) { set_cancel_hook(std::move(hook)); }
    ~ScopedCancelHook() { set_cancel_hook({}); }
    ScopedCancelHook(const ScopedCancelHook&) = delete;
    ScopedCancelHook& operator=(const ScopedCancelHook&) = delete;
};

// Sleeps for ms, returning early (false) if an interrupt arrives.
bool interruptible_sleep(std::chrono::milliseconds ms);

}  // namespace sm::util
