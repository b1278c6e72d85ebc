#pragma once
// Applying and reverting single migrations, safely.
//
// A transactional script runs in one transaction with SET LOCAL lock_timeout
// and statement_timeout; its history row is written in that same transaction.
// On lock timeout (SQLSTATE 55P03) the whole transaction is rolled back and
// retried after an exponential backoff with full jitter, up to lock_retries.
//
// A no-transaction script runs statement by statement in autocommit, with the
// same timeouts set for the session; after each statement its progress is
// recorded, so a failure midway shows in status and a re-run resumes after
// the completed statements (when they have not changed). A leftover INVALID
// index from CREATE INDEX CONCURRENTLY is dropped before the statement is
// retried, and a new index is checked to be valid afterwards.
//
// While a statement runs, a watch on the control session (retry_watch.hpp)
// prints a heartbeat every settings.heartbeat and notes the sessions that
// block it; after a lock timeout the retry waits until they are gone (at most
// the backoff's ceiling) instead of a blind backoff. Running out of retries is
// sm::Error(lock_busy).
//
// SIGINT/SIGTERM cancel the running statement on the server (signals.hpp);
// the transaction is rolled back and sm::Error(interrupted) is thrown.

#include <chrono>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"
#include "db/history.hpp"
#include "db/session.hpp"

namespace sm::executor {

struct RunContext {
    db::Session& migration;  // runs the migrations' SQL
    db::Session& control;    // holds the advisory lock; writes events and progress
    std::string run_id;
    std::string actor;
    const core::ExecuteSettings& settings;  // the run's one copy, owned by the caller
    // Commit applied migrations with synchronous_commit off: each is atomic
    // (schema, history row and event together) but may be flushed to disk a
    // moment later. Only for a caller that ends with db::record_event_durably
    // before it reports success (the deploy pipeline), which makes them all
    // durable at once.
    bool commit_asynchronously = false;
    // The run's time limit (max_duration from its start): apply_migration caps
    // each statement's lock_timeout and statement_timeout to what is left, and
    // cancels a statement still running at it. Reverting ignores it.
    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt;
};

// Prepares the session that runs migration SQL: on PostgreSQL 14 and later the
// server checks every second that we are still there, so if the runner is
// killed (kill -9, a lost host) a long statement is cancelled and its locks
// released within about a second instead of when the statement ends.
void prepare_migration_session(db::Session& session);

// Applies migration's up script and records it, with event migration.applied.
// A transactional script takes one round trip: BEGIN, its settings, the
// statements, the history row, the event and COMMIT in one batch. Returns the
// time it took.
// resume: the progress row of an earlier, unfinished run of this (no-transaction)
// migration. Throws sm::Error: failure (rolled back, or stopped midway for a
// no-transaction script, as the message says; also when ctx.deadline was
// reached: "the run exceeded its time limit"), lock_busy (lock timeouts
// outlasted the retries), drift (resume impossible because
// completed statements changed), interrupted, or db_unreachable.
// The history row of m, applied in this run in took.
db::AppliedMigration history_row(const RunContext& ctx, const core::Migration& m,
                                 std::chrono::milliseconds took);

std::chrono::milliseconds apply_migration(RunContext& ctx, const core::Migration& migration,
                                          const core::Script& up,
                                          const std::optional<db::PartialMigration>& resume);

// Runs migration's down script and deletes its history row (in the same
// transaction for a transactional script). Throws sm::Error like apply_migration.
std::chrono::milliseconds revert_migration(RunContext& ctx, const core::Migration& migration,
                                           const core::Script& down);

// SHA-256 over the first count statements' text, for resuming safely.
std::string hash_statements(const core::Script& script, int count);

}  // namespace sm::executor
