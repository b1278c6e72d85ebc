#pragma once
// Threads left running because they could not be stopped: a connection
// attempt still waiting on a server that does not answer when its caller gave
// up (db::PendingSession). Once one has been detached, the process must not
// end through exit(): static destructors (OpenSSL's, libpq's) would run under
// it, even as it ends.

namespace sm::util {

// Called by a thread's owner as it detaches it. Thread-safe.
void thread_detached() noexcept;

// The process's exit code: returned when no thread was ever detached; else
// the process ends here and now with it (stdio flushed, then std::_Exit).
int end_process(int code) noexcept;

}  // namespace sm::util
