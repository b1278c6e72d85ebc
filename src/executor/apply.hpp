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
    // The migration sent ahead (apply_migration's next) whose result is not
    // taken yet: apply_migration of it takes it, or settle_in_flight.
    const core::Migration* in_flight = nullptr;
};

// A migration to send to the server behind the one being applied.
struct NextMigration {
    const core::Migration* migration = nullptr;
    const core::Script* up = nullptr;
};

// Prepares the session that runs migration SQL: on PostgreSQL 14 and later the
// server checks every second that we are still there, so if the runner is
// killed (kill -9, a lost host) a long statement is cancelled and its locks
// released within about a second instead of when the statement ends.
void prepare_migration_session(db::Session& session);

// The history row of m, applied in this run in took.
db::AppliedMigration history_row(const RunContext& ctx, const core::Migration& m,
                                 std::chrono::milliseconds took);

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
// next (sending ahead; both can_send_ahead): next's transaction goes to the
// server right behind migration's, before migration's result is waited for,
// so the server starts it the moment migration commits instead of a round
// trip later. It is then in flight (ctx.in_flight) until apply_migration(next)
// takes its result (it runs no other check first) or settle_in_flight. If
// migration fails, the server skips next: nothing of it runs.
std::chrono::milliseconds apply_migration(RunContext& ctx, const core::Migration& migration,
                                          const core::Script& up,
                                          const std::optional<db::PartialMigration>& resume,
                                          const NextMigration* next = nullptr);

// Whether a migration with script up may be sent ahead or have one sent ahead
// behind it: one transaction (not a backfill, not a resumed no-transaction
// run), and the run has no time limit (its timeouts are capped when it starts).
bool can_send_ahead(const RunContext& ctx, const core::Script& up, bool resumed);

// For a run that stops with a migration in flight: cancels it and waits for
// its end. Returns how long that took if it committed anyway (then it is
// applied, with its history row and event), std::nullopt if it did not or
// nothing was in flight. Never throws DbError.
std::optional<std::chrono::milliseconds> settle_in_flight(RunContext& ctx);

// Runs migration's down script and deletes its history row (in the same
// transaction for a transactional script). Throws sm::Error like apply_migration.
std::chrono::milliseconds revert_migration(RunContext& ctx, const core::Migration& migration,
                                           const core::Script& down);

// SHA-256 over the first count statements' text, for resuming safely.
std::string hash_statements(const core::Script& script, int count);

}  // namespace sm::executor
