#pragma once
// Watching the backend that applies a migration, from another session: what it
// waits on, which sessions block it, how far its command has come. One
// component serves the heartbeat (a line every [execute] heartbeat while a
// statement runs), the run's time limit (the statement is cancelled at the
// deadline) and the lock-retry wait (retry as soon as the sessions that blocked
// the last attempt are gone).
//
// It only reads pg_stat_activity, pg_blocking_pids() and the pg_stat_progress_*
// views: it never takes, nor queues for, a lock on the target's tables.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::executor {

// A session that blocked the watched backend, and the transaction it was in
// then (PostgreSQL's xact_start as text; "" outside a transaction): a new
// transaction of the same session is not the same blocker.
struct BlockingSession {
    int pid = 0;
    std::string xact_start;
    bool operator==(const BlockingSession& o) const {
        return pid == o.pid && xact_start == o.xact_start;
    }
};

// What the watched backend is doing.
struct BackendActivity {
    bool found = false;                     // the pid has a session
    std::string state;                      // "active", "idle in transaction", ...
    std::string wait_event_type;            // "Lock", "IO", "Timeout", ...; "" when not waiting
    std::string wait_event;                 // "relation", "PgSleep", ...
    std::vector<BlockingSession> blockers;  // while it waits for a lock
    bool unknown_blocker = false;           // a blocker with no session (a prepared transaction)
    std::string progress;  // "create index: building index: 45% (1215 of 2700 blocks)"
};

// Where the watch reads from: a small interface so tests can drive the watch.
class BackendProbe {
  public:
    virtual ~BackendProbe() = default;
    // pid's activity; progress only when with_progress. Throws db::DbError.
    virtual BackendActivity activity(int pid, bool with_progress) = 0;
    // Those of blockers that are still in the transaction they were in.
    // Throws db::DbError.
    virtual std::vector<BlockingSession> still_blocking(
        const std::vector<BlockingSession>& blockers) = 0;
};

// The probe over observer (another session than the watched one's): SQL on
// pg_stat_activity and pg_stat_progress_create_index / _cluster / _copy (14+)
// / _vacuum.
std::unique_ptr<BackendProbe> session_probe(db::Session& observer);

// "heartbeat: 5_idx.up.sql:3 running for 30.0s, waiting on Lock:relation,
// blocked by pid 4242; create index: building index: 45% (1215 of 2700
// blocks)". Pure.
std::string heartbeat_line(const std::string& what, std::chrono::milliseconds elapsed,
                           const BackendActivity& activity);

struct WatchSettings {
    std::chrono::milliseconds heartbeat{30000};  // 0: no heartbeat
    std::chrono::milliseconds poll{250};         // how often it looks at the backend
    // When set, the statement is cancelled (cancel()) once it is reached.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

// How poll should be for a statement under lock_timeout: often enough to see
// a lock wait several times before it times out (lock_timeout / 4, between
// 20ms and 250ms).
std::chrono::milliseconds poll_for(std::chrono::milliseconds lock_timeout);

enum class BlockerWait { gone, timed_out, interrupted };

class StatementWatch {
  public:
    using Sink = std::function<void(const std::string&)>;
    // Watches the backend pid through probe; heartbeat lines go to sink,
    // cancel() stops the statement at the deadline. Watches nothing until start().
    StatementWatch(BackendProbe& probe, int pid, WatchSettings settings, Sink sink,
                   std::function<void()> cancel);
    ~StatementWatch();
    StatementWatch(const StatementWatch&) = delete;
    StatementWatch& operator=(const StatementWatch&) = delete;

    // Starts watching a statement (what: "1_add.up.sql:3"): from now until
    // stop(), nobody else may use the probe's session. The looks run on the
    // process's alarms thread (util/alarms.hpp), the first one poll after the
    // start, so a statement that ends sooner costs no thread and no query.
    // Forgets the blockers seen before.
    void start(const std::string& what);
    // Stops watching, waiting for a look in progress; the probe's session is
    // free again. Does nothing when not watching.
    void stop();

    // The sessions seen blocking the statement since start(), each once.
    std::vector<BlockingSession> blockers() const;
    // Whether every blocker seen has a session (so it can be watched).
    bool blockers_known() const;
    // Whether it cancelled the statement at the deadline.
    bool cancelled_at_deadline() const;

    // Waits, on the calling thread and while stopped, until none of
    // blockers() is still in its transaction: gone, timed_out after at_most
    // (or at the deadline), interrupted on SIGINT/SIGTERM. Throws db::DbError
    // from the probe.
    BlockerWait wait_for_blockers(std::chrono::milliseconds at_most);

  private:
    // When to look next after now: poll later, or sooner for a heartbeat or the deadline.
    std::chrono::steady_clock::time_point next_look(
        std::chrono::steady_clock::time_point now) const;
    // One look (on the alarms thread): a sample, a heartbeat when due. Returns
    // when to look again.
    std::optional<std::chrono::steady_clock::time_point> look();
    // Looks at the backend once; with beat (the time a heartbeat was due), says so.
    void sample(std::chrono::steady_clock::time_point now,
                std::optional<std::chrono::steady_clock::time_point> beat);

    BackendProbe& m_probe;
    int m_pid;
    WatchSettings m_settings;
    Sink m_sink;
    std::function<void()> m_cancel;
    std::string m_what;
    std::chrono::steady_clock::time_point m_started;
    std::chrono::steady_clock::time_point m_next_beat;  // the next heartbeat due
    std::optional<uint64_t> m_alarm;                    // while watching: its alarms task

    mutable std::mutex m_mutex;  // guards what follows
    bool m_cancelled = false;
    bool m_unknown = false;
    std::vector<BlockingSession> m_blockers;
};

}  // namespace sm::executor
