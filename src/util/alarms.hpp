#pragma once
// Tasks run at a given time on one background thread shared by the process,
// so that watching something that usually ends in a few milliseconds (one
// migration's statement) costs no thread of its own: the thread is started on
// first use and kept, and a task cancelled before its time never runs.
//
// Adding a task later than the thread's next wake-up does not wake it, so a
// stream of short-lived tasks (each added, then cancelled before its time)
// wakes the thread at most once per task interval, not once per task.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

namespace sm::util {

class Alarms {
  public:
    using Clock = std::chrono::steady_clock;
    // Runs on the alarms thread; returns when to run again, or nullopt when done.
    using Task = std::function<std::optional<Clock::time_point>()>;

    // The process's alarms (its thread is never stopped: it waits idle).
    static Alarms& shared();

    // Runs task at `at` (at once when `at` has passed). Returns its id.
    uint64_t add(Clock::time_point at, Task task);
    // Once this returns, the task is not running and never runs again: it waits
    // while the task runs, so a task must not cancel itself. Unknown or
    // finished ids are ignored.
    void cancel(uint64_t id);

    Alarms(const Alarms&) = delete;
    Alarms& operator=(const Alarms&) = delete;

  private:
    Alarms() = default;
    ~Alarms() = default;
    struct Entry {
        Clock::time_point at;
        Task task;
    };
    void run();

    std::mutex m_mutex;  // guards what follows
    std::condition_variable m_wake;
    std::condition_variable m_done;  // a task finished running
    std::map<uint64_t, Entry> m_entries;
    uint64_t m_next_id = 1;
    uint64_t m_running = 0;  // the id of the task running, 0 when none
    bool m_started = false;
    // When the thread will look again; max() while it waits for a task.
    Clock::time_point m_wakes_at = Clock::time_point::max();
};

}  // namespace sm::util
