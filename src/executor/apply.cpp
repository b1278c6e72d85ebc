#include "executor/apply.hpp"

#include <functional>

#include "core/checksum.hpp"
#include "core/identity.hpp"
#include "db/transaction.hpp"
#include "executor/apply_detail.hpp"
#include "executor/retry_watch.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace detail {

using std::chrono::milliseconds;

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

}  // namespace detail

using namespace detail;

namespace {

// A script's transaction limits: the run's, with the script's own timeouts.
db::TransactionLimits script_limits(const RunContext& ctx, const core::Script& script) {
    db::TransactionLimits limits = db::transaction_limits(ctx.settings);
    limits.lock_timeout = lock_timeout_of(ctx, script);
    limits.statement_timeout = statement_timeout_of(ctx, script);
    return limits;
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
    db::TransactionLimits limits = script_limits(ctx, script);
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
        took = util::millis_since(start);
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

// A transactional up script's transaction: its limits, and its statements
// followed by its history row and event migration.applied.
struct TransactionPlan {
    db::TransactionLimits limits;
    std::vector<db::BatchStatement> batch;
};

TransactionPlan plan_transaction(const RunContext& ctx, const core::Migration& m,
                                 const core::Script& script) {
    TransactionPlan plan;
    plan.limits = script_limits(ctx, script);
    plan.limits.deadline = ctx.deadline;
    if (ctx.commit_asynchronously) {
        plan.limits.settings.emplace_back("synchronous_commit", "off");
    }
    plan.batch.reserve(script.statements.size() + 1);
    for (const auto& statement : script.statements) {
        plan.batch.push_back({statement.sql, {}});
    }
    plan.batch.push_back(
        db::record_applied_statement(history_row(ctx, m, milliseconds{0}), ctx.actor));
    return plan;
}

// The sending-ahead of apply_transactional: next's transaction goes out now
// (unless an interrupt arrived: then nothing more is sent).
db::SendAhead send_ahead(RunContext& ctx, const core::Migration& m, const NextMigration* next) {
    db::SendAhead ahead;
    ahead.sent = ctx.in_flight == &m;
    ctx.in_flight = nullptr;
    if (next != nullptr) {
        ahead.then = [&ctx, next] {
            if (util::interrupted()) {
                return;
            }
            TransactionPlan plan = plan_transaction(ctx, *next->migration, *next->up);
            db::send_transaction_batch(ctx.migration, plan.limits, plan.batch);
            ctx.in_flight = next->migration;
        };
        // m's first attempt failed: the server skipped next (m may be retried).
        ahead.dropped = [&ctx] { ctx.in_flight = nullptr; };
    }
    return ahead;
}

// Applies a transactional up script in one round trip (db::run_transaction_batch):
// its statements, then its history row and event migration.applied, all in
// one transaction. Retries the whole transaction on lock timeout.
milliseconds apply_transactional(RunContext& ctx, const core::Migration& m,
                                 const core::Script& script, const NextMigration* next) {
    auto [limits, batch] = plan_transaction(ctx, m, script);
    MigrationWatch watch(ctx, m, limits.lock_timeout, true);
    auto start = Clock::now();  // of the last attempt
    limits.wait = [&](int attempt, milliseconds delay) {
        bool waited = watch.wait_to_retry(attempt, delay);
        start = Clock::now();
        return waited;
    };
    db::SendAhead ahead = send_ahead(ctx, m, next);
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
            db::run_transaction_batch(ctx.migration, limits, batch, on_retry, ahead);
        }
        return util::millis_since(start);
    } catch (const db::RetryWaitInterrupted&) {
        throw_interrupted(ctx, m, "it was waiting to retry; nothing of it is applied");
    } catch (const db::BatchError& e) {
        transaction_failed(ctx, m, "applying", e, where(script, statement_at(e.index())), attempts);
    } catch (const db::DbError& e) {
        transaction_failed(ctx, m, "applying", e, where(script, nullptr), attempts);
    }
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
                             const std::optional<db::PartialMigration>& resume,
                             const NextMigration* next) {
    if (up.transactional) {
        return apply_transactional(ctx, m, up, next);
    }
    milliseconds took = apply_without_transaction(ctx, m, up, resume);
    event(ctx, m, "migration.applied", "applied in " + util::format_duration(took));
    return took;
}

bool can_send_ahead(const RunContext& ctx, const core::Script& up, bool resumed) {
    return up.transactional && !up.backfill && !resumed && !ctx.deadline;
}

std::optional<milliseconds> settle_in_flight(RunContext& ctx) {
    if (ctx.in_flight == nullptr) {
        return std::nullopt;
    }
    ctx.in_flight = nullptr;
    auto start = Clock::now();
    ctx.migration.cancel();  // if it is still running; it may have committed already
    try {
        ctx.migration.receive_batch();
        return util::millis_since(start);
    } catch (const db::DbError&) {
        db::rollback_quietly(ctx.migration);
        return std::nullopt;
    }
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
        took = util::millis_since(start);
    }
    event(ctx, m, "migration.rolled_back",
          "reverted by its down file in " + util::format_duration(took));
    return took;
}

}  // namespace sm::executor
