#pragma once
// The statement watch (statement_watch.hpp) of one migration being applied or
// reverted, and what a run does between lock-timeout retries with it: name
// the sessions that blocked the attempt, and retry as soon as they are gone.

#include <chrono>
#include <memory>
#include <string>

#include "core/backoff.hpp"
#include "core/migration_source.hpp"
#include "executor/apply.hpp"
#include "executor/statement_watch.hpp"

namespace sm::executor {

class MigrationWatch {
  public:
    // Watches ctx.migration from ctx.control, with heartbeats every
    // ctx.settings.heartbeat (core::log_info, so -q hides them); with
    // to_deadline, the statement is also cancelled at ctx.deadline.
    MigrationWatch(RunContext& ctx, const core::Migration& m,
                   std::chrono::milliseconds lock_timeout, bool to_deadline);

    // Watches a statement (what: "1_add.up.sql:3") until stop(); meanwhile
    // ctx.control belongs to the watch.
    void start(const std::string& what);
    void stop();
    bool cancelled_at_deadline() const { return m_watch.cancelled_at_deadline(); }

    // After the attempt-th attempt (from 0) timed out on a lock at `at`: stops
    // watching, and says in the log and as event migration.retry that it is
    // retried, when the blocking sessions end (named by pid) or after delay
    // when they are not known.
    void announce_retry(int attempt, std::chrono::milliseconds delay, const std::string& at);
    // Waits before the next attempt: until the sessions that blocked this one
    // are gone (at most the backoff's ceiling for attempt, and not past the
    // deadline), or delay when they are not known; then watches what again.
    // false when interrupted. Throws db::DbError from the control session.
    bool wait_to_retry(int attempt, std::chrono::milliseconds delay);

  private:
    std::chrono::milliseconds bound(int attempt, std::chrono::milliseconds delay) const;

    RunContext& m_ctx;
    const core::Migration& m_migration;
    std::unique_ptr<BackendProbe> m_probe;
    StatementWatch m_watch;
    core::Backoff m_backoff;
    std::string m_what;
};

// Watches what for the lifetime of the object (start, then stop on the way
// out, exceptions included, so the handlers may use the control session).
class WatchScope {
  public:
    WatchScope(MigrationWatch& watch, const std::string& what) : m_watch(watch) {
        m_watch.start(what);
    }
    ~WatchScope() { m_watch.stop(); }
    WatchScope(const WatchScope&) = delete;
    WatchScope& operator=(const WatchScope&) = delete;

  private:
    MigrationWatch& m_watch;
};

}  // namespace sm::executor
