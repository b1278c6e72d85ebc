#pragma once
// Threads left running because they could not be stopped: a connection
// attempt still waiting on a server that does not answer when its caller gave
// up (db::PendingSession). While one runs, the process must not end through
// exit(): static destructors (OpenSSL's, libpq's) would run under it.

namespace sm::util {

// Called by a thread's owner as it detaches it, and by the thread as it ends
// after that. Thread-safe.
void thread_detached() noexcept;
void detached_thread_ended() noexcept;

// The process's exit code: returned when no detached thread runs; else the
// process ends here and now with it (stdio flushed, then std::_Exit).
int end_process(int code) noexcept;

}  // namespace sm::util
