// apply_migration's no-transaction path (apply.hpp): each statement alone in
// autocommit, retried alone on lock timeout, with a progress row to resume from.
#include "core/backoff.hpp"
#include "core/log.hpp"
#include "db/transaction.hpp"
#include "executor/apply_detail.hpp"
#include "executor/retry_watch.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::executor::detail {
namespace {

using std::chrono::milliseconds;

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

}  // namespace

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
    milliseconds took = util::millis_since(start);
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

}  // namespace sm::executor::detail
