#include "executor/apply.hpp"

#include <functional>

#include "core/backoff.hpp"
#include "core/checksum.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/transaction.hpp"
#include "executor/retry_watch.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

milliseconds lock_timeout_of(const RunContext& ctx, const core::Script& s) {
    return s.lock_timeout.value_or(ctx.settings.lock_timeout);
}

milliseconds statement_timeout_of(const RunContext& ctx, const core::Script& s) {
    return s.statement_timeout.value_or(ctx.settings.statement_timeout);
}

std::string where(const core::Script& script, const core::Statement* statement) {
    std::string file = script.file.filename().string();
    return statement != nullptr ? file + ":" + std::to_string(statement->line) : file;
}

std::string db_message(const db::DbError& e) {
    return util::redact_text(e.primary()) + " (SQLSTATE " + e.sqlstate() + ")" + e.details();
}

void event(RunContext& ctx, const core::Migration& m, const std::string& kind,
           const std::string& message) {
    db::record_event(ctx.control, {ctx.run_id, kind, m.version, message});
}

[[noreturn]] void throw_interrupted(RunContext& ctx, const core::Migration& m,
                                    const std::string& what_happened) {
    std::string sig = util::interrupt_signal() == 15 ? "SIGTERM" : "SIGINT";
    event(ctx, m, "migration.interrupted", "interrupted by " + sig + "; " + what_happened);
    throw Error(ExitCode::interrupted,
                "interrupted by " + sig + " while applying " + m.id() + "; " + what_happened);
}

// Throws a canceled db::DbError when an interrupt arrived, so every path that stops
// for a signal goes through the same handling as a cancelled statement.
void check_interrupt() {
    if (util::interrupted()) {
        throw db::DbError("57014", "canceling statement due to user request");
    }
}

// Whether e stopped a statement because the run's time limit was reached (the
// capped timeouts, or the watch's cancel at the deadline).
bool out_of_time(const RunContext& ctx, const db::DbError& e) {
    return ctx.deadline && Clock::now() >= *ctx.deadline &&
           (e.is_canceled() || e.is_lock_timeout());
}

// "the run exceeded its time limit (max_duration 2s) while applying 1_slow at 1_slow.up.sql:1"
std::string time_limit_message(const RunContext& ctx, const core::Migration& m,
                               const std::string& at) {
    return "the run exceeded its time limit (max_duration " +
           util::format_duration(ctx.settings.max_duration.value_or(milliseconds(0))) +
           ") while applying " + m.id() + " at " + at;
}

// Turns the error that ended a migration's transaction (rolled back, unless
// the connection was lost) into the run's error, recording it. attempts: how
// many times the transaction ran.
[[noreturn]] void transaction_failed(RunContext& ctx, const core::Migration& m, const char* verb,
                                     const db::DbError& e, const std::string& at, int attempts) {
    if (e.connection_lost()) {
        throw Error(ExitCode::db_unreachable,
                    "lost the connection while " + std::string(verb) + " " + m.id() + " at " + at +
                        ": " + util::redact_text(e.what()),
                    "The server rolls back an uncommitted transaction. Run 'safe-migrate status' "
                    "to see what is recorded.");
    }
    if (util::interrupted()) {
        throw_interrupted(ctx, m, "its transaction was rolled back at " + at);
    }
    if (std::string(verb) == "applying" && out_of_time(ctx, e)) {
        std::string message = time_limit_message(ctx, m, at);
        event(ctx, m, "migration.failed", message + "; its transaction was rolled back");
        throw Error(ExitCode::failure, message + "; its transaction was rolled back");
    }
    std::string why = db_message(e);
    if (e.is_lock_timeout()) {
        why += " after " + std::to_string(attempts) + " attempts";
    }
    event(ctx, m, std::string("migration.failed"),
          std::string(verb) + " failed at " + at + ": " + why);
    // Lock timeouts that outlast the retries are a busy table, not a broken
    // migration: exit 6, so a pipeline can try again later.
    throw Error(e.is_lock_timeout() ? ExitCode::lock_busy : ExitCode::failure,
                std::string(verb) + " " + m.id() + " failed at " + at + ": " + why,
                "Its transaction was rolled back; nothing of it remains. " +
                    std::string(e.is_lock_timeout()
                                    ? "Find the blocking sessions (runbooks/lock-timeouts.md), "
                                      "then run execute again."
                                    : "Fix the migration and run again."));
}

// Runs script in one transaction; finish() runs in the same transaction before
// COMMIT. Retries the whole transaction on lock timeout (db::run_transaction).
milliseconds run_transactional(RunContext& ctx, const core::Migration& m,
                               const core::Script& script, const char* verb,
                               const std::function<void(milliseconds)>& finish) {
    db::TransactionLimits limits = db::transaction_limits(ctx.settings);
    limits.lock_timeout = lock_timeout_of(ctx, script);
    limits.statement_timeout = statement_timeout_of(ctx, script);
    const core::Statement* current = nullptr;  // where the attempt is
    int attempts = 1;
    milliseconds took{0};
    MigrationWatch watch(ctx, m, limits.lock_timeout, false);
    limits.wait = [&](int attempt, milliseconds delay) {
        return watch.wait_to_retry(attempt, delay);
    };
    auto body = [&] {
        auto start = Clock::now();
        for (const auto& statement : script.statements) {
            current = &statement;
            check_interrupt();
            ctx.migration.exec(statement.sql);
        }
        current = nullptr;
        took = since(start);
        finish(took);
    };
    auto on_retry = [&](int attempt, milliseconds delay) {
        watch.announce_retry(attempt, delay, where(script, current));
        current = nullptr;
        ++attempts;
    };
    try {
        WatchScope watching(watch, script.file.filename().string());
        db::run_transaction(ctx.migration, limits, body, on_retry);
        return took;
    } catch (const db::RetryWaitInterrupted&) {
        throw_interrupted(ctx, m, "it was waiting to retry; nothing of it is applied");
    } catch (const db::DbError& e) {
        transaction_failed(ctx, m, verb, e, where(script, current), attempts);
    }
}

// Applies a transactional up script in one round trip (db::run_transaction_batch):
// its statements, then its history row and event migration.applied, all in
// one transaction. Retries the whole transaction on lock timeout.
milliseconds apply_transactional(RunContext& ctx, const core::Migration& m,
                                 const core::Script& script, const db::AppliedMigration& row) {
    db::TransactionLimits limits = db::transaction_limits(ctx.settings);
    limits.lock_timeout = lock_timeout_of(ctx, script);
    limits.statement_timeout = statement_timeout_of(ctx, script);
    limits.deadline = ctx.deadline;
    MigrationWatch watch(ctx, m, limits.lock_timeout, true);
    auto start = Clock::now();  // of the last attempt
    limits.wait = [&](int attempt, milliseconds delay) {
        bool waited = watch.wait_to_retry(attempt, delay);
        start = Clock::now();
        return waited;
    };
    if (ctx.commit_asynchronously) {
        limits.settings.emplace_back("synchronous_commit", "off");
    }
    std::vector<db::BatchStatement> batch;
    batch.reserve(script.statements.size() + 1);
    for (const auto& statement : script.statements) {
        batch.push_back({statement.sql, {}});
    }
    batch.push_back(db::record_applied_statement(row, ctx.actor));
    int attempts = 1;
    auto statement_at = [&](size_t index) {
        return index < script.statements.size() ? &script.statements[index] : nullptr;
    };
    auto on_retry = [&](int attempt, milliseconds delay, size_t index) {
        watch.announce_retry(attempt, delay, where(script, statement_at(index)));
        ++attempts;
    };
    try {
        {
            WatchScope watching(watch, script.file.filename().string());
            db::run_transaction_batch(ctx.migration, limits, batch, on_retry);
        }
        return since(start);
    } catch (const db::RetryWaitInterrupted&) {
        throw_interrupted(ctx, m, "it was waiting to retry; nothing of it is applied");
    } catch (const db::BatchError& e) {
        transaction_failed(ctx, m, "applying", e, where(script, statement_at(e.index())), attempts);
    } catch (const db::DbError& e) {
        transaction_failed(ctx, m, "applying", e, where(script, nullptr), attempts);
    }
}

struct IndexState {
    std::string qualified;  // as PostgreSQL quotes it
    bool valid = false;
};

std::optional<IndexState> find_index(db::Session& session, const core::Statement& s) {
    auto r = session.exec_params(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), i.indisvalid "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = $1 AND (CASE WHEN $2 = '' THEN n.nspname = ANY (current_schemas(false)) "
        "ELSE n.nspname = $2 END) "
        "ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1",
        {*s.concurrent_index, s.concurrent_index_schema});
    if (r.empty()) {
        return std::nullopt;
    }
    return IndexState{*r.rows[0][0], r.rows[0][1] == "t"};
}

// A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS
// would then skip: drop it before trying again.
void drop_invalid_index(RunContext& ctx, const core::Migration& m, const core::Statement& s) {
    auto index = find_index(ctx.migration, s);
    if (!index || index->valid) {
        return;
    }
    core::log_warn(m.id() + ": dropping INVALID index " + index->qualified +
                   " left by an earlier attempt");
    ctx.migration.exec("DROP INDEX CONCURRENTLY IF EXISTS " + index->qualified);
    event(ctx, m, "index.invalid_dropped",
          "dropped INVALID index " + index->qualified + " before retrying");
}

// Runs statement once in autocommit, watched, with its timeouts capped to the
// run's time limit; a new concurrent index must be valid.
void exec_autocommit(RunContext& ctx, const core::Migration& m, MigrationWatch& watch,
                     const core::Script& script, const core::Statement& statement) {
    util::ScopedCancelHook hook([&ctx] { ctx.migration.cancel(); });
    check_interrupt();
    if (statement.concurrent_index) {
        drop_invalid_index(ctx, m, statement);
    }
    if (ctx.deadline) {
        ctx.migration.exec(db::set_timeouts_sql(
            db::capped_timeout(lock_timeout_of(ctx, script), ctx.deadline),
            db::capped_timeout(statement_timeout_of(ctx, script), ctx.deadline),
            db::SettingScope::session));
    }
    {
        WatchScope watching(watch, where(script, &statement));
        ctx.migration.exec(statement.sql);
    }
    if (statement.concurrent_index) {
        auto index = find_index(ctx.migration, statement);
        if (index && !index->valid) {
            throw db::DbError("XX000",
                              "index " + index->qualified +
                                  " is INVALID after CREATE INDEX CONCURRENTLY (IF NOT EXISTS "
                                  "skips a broken index)");
        }
    }
}

// Records why a no-transaction statement stopped (its progress row, an event)
// and throws the run's error for it.
[[noreturn]] void autocommit_failed(RunContext& ctx, const core::Migration& m,
                                    const core::Statement& statement, const std::string& at,
                                    const db::DbError& e, db::PartialMigration& progress) {
    std::string done = std::to_string(progress.statements_done) + " of " +
                       std::to_string(progress.statements_total) + " statements completed";
    std::string stopped_at = at;  // "<at> (<done>)"
    stopped_at += " (" + done + ")";
    if (e.connection_lost()) {
        throw Error(ExitCode::db_unreachable,
                    "lost the connection while applying " + m.id() + " at " + stopped_at + ": " +
                        util::redact_text(e.what()),
                    "Run 'safe-migrate status'; a re-run resumes after the completed statements.");
    }
    progress.state = db::ProgressState::failed;
    if (util::interrupted()) {
        progress.last_error = "interrupted at " + at;
        db::save_progress(ctx.control, progress);
        throw_interrupted(ctx, m, "no-transaction migration stopped at " + stopped_at);
    }
    std::string why = out_of_time(ctx, e) ? "the run's time limit was reached" : db_message(e);
    if (statement.concurrent_index) {
        if (auto index = find_index(ctx.migration, statement); index && !index->valid) {
            why += "; index " + index->qualified +
                   " was left INVALID and will be dropped before the next attempt";
        }
    }
    progress.last_error = (at + ": ").append(why);
    db::save_progress(ctx.control, progress);
    event(ctx, m, "migration.failed", ("failed at " + stopped_at + ": ").append(why));
    std::string hint = "It runs outside a transaction: " + done +
                       " and stay applied. Fix the cause and run execute again to resume "
                       "(runbooks/failed-concurrent-index.md).";
    if (out_of_time(ctx, e)) {
        throw Error(ExitCode::failure, time_limit_message(ctx, m, at), hint);
    }
    throw Error(e.is_lock_timeout() ? ExitCode::lock_busy : ExitCode::failure,
                ("applying " + m.id() + " failed at " + at + ": ").append(why), hint);
}

// Runs one statement in autocommit, retrying it alone on lock timeout.
void run_autocommit_statement(RunContext& ctx, const core::Migration& m, const core::Script& script,
                              const core::Statement& statement, db::PartialMigration& progress) {
    core::Backoff backoff(ctx.settings.retry_base_delay, ctx.settings.retry_max_delay);
    MigrationWatch watch(ctx, m, lock_timeout_of(ctx, script), true);
    std::string at = where(script, &statement);
    for (int attempt = 0;; ++attempt) {
        try {
            exec_autocommit(ctx, m, watch, script, statement);
            return;
        } catch (const db::DbError& e) {
            if (!e.connection_lost() && !util::interrupted() && e.is_lock_timeout() &&
                attempt < ctx.settings.lock_retries && !out_of_time(ctx, e)) {
                milliseconds delay = db::capped_timeout(backoff.delay(attempt), ctx.deadline);
                watch.announce_retry(attempt, delay, at);
                bool waited = watch.wait_to_retry(attempt, delay);
                watch.stop();
                // Else interrupted, or out of time: autocommit_failed says which.
                if (waited && !(ctx.deadline && Clock::now() >= *ctx.deadline)) {
                    continue;
                }
            }
            autocommit_failed(ctx, m, statement, at, e, progress);
        }
    }
}

milliseconds apply_without_transaction(RunContext& ctx, const core::Migration& m,
                                       const core::Script& up,
                                       const std::optional<db::PartialMigration>& resume) {
    auto start = Clock::now();
    db::PartialMigration progress;
    progress.version = m.version;
    progress.name = m.name;
    progress.checksum = up.checksum;
    progress.statements_total = static_cast<int>(up.statements.size());
    progress.run_id = ctx.run_id;
    progress.state = db::ProgressState::running;
    if (resume) {
        if (resume->statements_done > progress.statements_total ||
            hash_statements(up, resume->statements_done) != resume->done_hash) {
            throw Error(ExitCode::drift,
                        m.id() + " stopped midway after " +
                            std::to_string(resume->statements_done) +
                            " statements, and those statements have changed since",
                        "Compare the file with what the database shows, then resolve it by hand "
                        "(runbooks/failed-deployment.md).");
        }
        progress.statements_done = resume->statements_done;
        core::log_info(m.id() + ": resuming after " + std::to_string(progress.statements_done) +
                       " of " + std::to_string(progress.statements_total) +
                       " completed statements");
        event(
            ctx, m, "migration.resumed",
            "resuming after " + std::to_string(progress.statements_done) + " completed statements");
    }
    progress.done_hash = hash_statements(up, progress.statements_done);
    db::save_progress(ctx.control, progress);

    {
        db::SessionTimeouts timeouts(ctx.migration, lock_timeout_of(ctx, up),
                                     statement_timeout_of(ctx, up));
        for (size_t i = static_cast<size_t>(progress.statements_done); i < up.statements.size();
             ++i) {
            run_autocommit_statement(ctx, m, up, up.statements[i], progress);
            progress.statements_done = static_cast<int>(i) + 1;
            progress.done_hash = hash_statements(up, progress.statements_done);
            db::save_progress(ctx.control, progress);
        }
    }
    milliseconds took = since(start);
    // The history row and the end of the progress record land together.
    ctx.migration.exec("BEGIN");
    try {
        db::insert_history_row(ctx.migration, history_row(ctx, m, took));
        db::delete_progress(ctx.migration, m.version);
        ctx.migration.exec("COMMIT");
    } catch (const db::DbError& e) {
        db::rollback_quietly(ctx.migration);
        throw Error(ExitCode::failure, "cannot record " + m.id() + " as applied: " + db_message(e),
                    "Its statements all completed; re-running execute records it.");
    }
    return took;
}

}  // namespace

db::AppliedMigration history_row(const RunContext& ctx, const core::Migration& m,
                                 milliseconds took) {
    db::AppliedMigration row;
    row.version = m.version;
    row.name = m.name;
    row.checksum = m.up.checksum;
    row.checksum_algorithm = core::k_checksum_algorithm;
    row.applied_by = ctx.actor;
    row.duration_ms = took.count();
    row.run_id = ctx.run_id;
    row.tool_version = core::tool_version();
    return row;
}

void prepare_migration_session(db::Session& session) {
    if (session.server_version() >= 140000) {
        session.exec("SET client_connection_check_interval = '1s'");
    }
}

std::string hash_statements(const core::Script& script, int count) {
    std::string joined;
    for (int i = 0; i < count && i < static_cast<int>(script.statements.size()); ++i) {
        joined += script.statements[static_cast<size_t>(i)].sql;
        joined += '\0';
    }
    return core::sha256_hex(joined);
}

milliseconds apply_migration(RunContext& ctx, const core::Migration& m, const core::Script& up,
                             const std::optional<db::PartialMigration>& resume) {
    if (up.transactional) {
        return apply_transactional(ctx, m, up, history_row(ctx, m, milliseconds{0}));
    }
    milliseconds took = apply_without_transaction(ctx, m, up, resume);
    event(ctx, m, "migration.applied", "applied in " + util::format_duration(took));
    return took;
}

milliseconds revert_migration(RunContext& ctx, const core::Migration& m, const core::Script& down) {
    milliseconds took;
    if (down.transactional) {
        took = run_transactional(ctx, m, down, "reverting", [&](milliseconds) {
            db::delete_history_row(ctx.migration, m.version);
        });
    } else {
        auto start = Clock::now();
        int done = 0;
        MigrationWatch watch(ctx, m, lock_timeout_of(ctx, down), false);
        {
            db::SessionTimeouts timeouts(ctx.migration, lock_timeout_of(ctx, down),
                                         statement_timeout_of(ctx, down));
            for (const auto& statement : down.statements) {
                try {
                    util::ScopedCancelHook hook([&ctx] { ctx.migration.cancel(); });
                    check_interrupt();
                    WatchScope watching(watch, where(down, &statement));
                    ctx.migration.exec(statement.sql);
                    ++done;
                } catch (const db::DbError& e) {
                    std::string at = where(down, &statement);
                    if (util::interrupted()) {
                        throw_interrupted(ctx, m, "its no-transaction down stopped at " + at);
                    }
                    event(ctx, m, "migration.failed",
                          "reverting failed at " + at + ": " + db_message(e));
                    throw Error(
                        ExitCode::failure,
                        "reverting " + m.id() + " failed at " + at + ": " + db_message(e),
                        "The down file runs outside a transaction: " + std::to_string(done) +
                            " statements completed. The migration is still recorded as applied.");
                }
            }
        }
        db::delete_history_row(ctx.migration, m.version);
        took = since(start);
    }
    event(ctx, m, "migration.rolled_back",
          "reverted by its down file in " + util::format_duration(took));
    return took;
}

}  // namespace sm::executor
