#include "seed/seed_run.hpp"

#include <algorithm>
#include <map>

#include "core/checksum.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/history.hpp"
#include "db/transaction.hpp"
#include "seed/protected_target.hpp"
#include "seed/seed_history.hpp"
#include "seed/seed_order.hpp"
#include "seed/seed_status.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::seed {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void event(SeedContext& ctx, const std::string& kind, const std::string& message) {
    db::record_event(ctx.control, {ctx.run_id, kind, std::nullopt, message});
}

void say(SeedContext& ctx, const std::string& line) {
    if (ctx.say) {
        ctx.say(line);
    }
}

// Hints for a seed whose transaction failed and was rolled back, by command.
constexpr const char* k_run_failed_hint =
    "Its transaction was rolled back; nothing of it remains. Seeds before it stay applied. Fix "
    "the file and run again.";
constexpr const char* k_rollback_failed_hint =
    "Its transaction was rolled back: the seed stays applied, with its data. Fix the rollback "
    "file and run again.";
constexpr const char* k_clear_failed_hint =
    "Its transaction was rolled back: that seed and the seeds not reached yet stay applied; the "
    "seeds rolled back before it stay rolled back. Fix the rollback file and run seed clear "
    "again.";

// Turns the error that ended a seed's transaction (rolled back, unless the
// connection was lost) into the command's error, recording it. at: the file and
// line; attempts: how many times the transaction ran.
[[noreturn]] void transaction_failed(SeedContext& ctx, const std::string& id,
                                     const std::string& verb, const std::string& failed_hint,
                                     const db::DbError& e, const std::string& at, int attempts) {
    if (e.connection_lost()) {
        throw Error(ExitCode::db_unreachable, "lost the connection while " + verb + " " + id +
                                                  " at " + at + ": " + util::redact_text(e.what()));
    }
    std::string why =
        util::redact_text(e.primary()) + " (SQLSTATE " + e.sqlstate() + ")" + e.details();
    if (util::interrupted()) {
        event(ctx, "seed.interrupted", id + ": interrupted; its transaction was rolled back");
        throw Error(ExitCode::interrupted, "interrupted while " + verb + " " + id +
                                               "; its transaction was rolled back at " + at);
    }
    if (e.is_lock_timeout()) {
        why += " after " + std::to_string(attempts) + " attempts";
    }
    event(ctx, "seed.failed", verb + " " + id + " failed at " + at + ": " + why);
    throw Error(ExitCode::failure, verb + " " + id + " failed at " + at + ": " + why, failed_hint);
}

// Runs script in one transaction, then finish() before COMMIT, retrying the
// whole transaction after a lock timeout as migrations are (db::run_transaction).
// verb: "seeding", "rolling back seed"; failed_hint: what a failure of the
// script leaves, for the error's hint. Throws sm::Error naming the file and
// line that failed. Whatever is thrown, the session is left outside any
// transaction.
// With inserted, adds the rows each INSERT's table received (seed_summary.hpp).
milliseconds run_in_transaction(SeedContext& ctx, const std::string& id, const core::Script& script,
                                const std::string& verb, const std::string& failed_hint,
                                const std::function<void(milliseconds)>& finish,
                                std::map<std::string, int64_t>* inserted = nullptr) {
    db::TransactionLimits limits = db::transaction_limits(ctx.settings);
    limits.settings = {{"safe_migrate.seed_scale", std::to_string(ctx.scale)},
                       {"safe_migrate.seed_environment", ctx.environment}};
    const core::Statement* current = nullptr;  // where the attempt is
    auto at = [&] {
        std::string file = script.file.filename().string();
        return current != nullptr ? file + ":" + std::to_string(current->line) : file;
    };
    int attempts = 1;
    milliseconds took{0};
    std::map<std::string, int64_t> rows;  // of the attempt that commits
    auto body = [&] {
        auto start = Clock::now();
        rows.clear();
        for (const auto& statement : script.statements) {
            current = &statement;
            if (util::interrupted()) {
                throw db::DbError("57014", "canceling statement due to user request");
            }
            int64_t affected = ctx.session.exec(current->sql).affected_rows;
            if (!current->insert_target.empty()) {
                rows[current->insert_target] += affected;
            }
        }
        current = nullptr;
        took = util::millis_since(start);
        finish(took);
    };
    auto on_retry = [&](int attempt, milliseconds delay) {
        std::string message =
            db::lock_retry_message(at(), attempt, ctx.settings.lock_retries, delay);
        core::log_warn(id + ": " + message);
        event(ctx, "seed.retry", id + ": " + message);
        current = nullptr;
        ++attempts;
    };
    try {
        db::run_transaction(ctx.session, limits, body, on_retry);
        for (const auto& [table, count] : rows) {
            if (inserted != nullptr) {
                (*inserted)[table] += count;
            }
        }
        return took;
    } catch (const db::DbError& e) {
        transaction_failed(ctx, id, verb, failed_hint, e, at(), attempts);
    }
}

std::string list(const std::vector<std::string>& ids) {
    return util::join(ids, ", ");
}

}  // namespace

void refuse_recorded_protected(SeedContext& ctx, const std::string& command) {
    if (ctx.is_protected) {
        return;
    }
    if (auto match = protected_match(ctx.control)) {
        throw Error(ExitCode::refused,
                    command + " refused: the target is recorded as protected (" + *match + ")",
                    "safe-migrate ran against this database as a protected environment before. "
                    "Check --database-url and --env.");
    }
}

int run_seeds(SeedContext& ctx, const SeedSet& set) {
    // 1. Order the environment's seeds and compare them with what is recorded.
    auto ordered = order_for_environment(set, ctx.environment, "Nothing was seeded.");
    SeedReport report = compute_seed_status(set, ordered, read_applied_seeds(ctx.control));
    std::vector<const Seed*> to_run;
    std::vector<std::string> changed;
    std::string changed_id;  // the first, for the hint's command
    for (const auto& e : report.entries) {
        if (e.state == SeedState::pending || e.state == SeedState::rerun) {
            to_run.push_back(e.seed);
        } else if (e.state == SeedState::changed) {
            changed.push_back(e.seed->path.string());
            changed_id = changed_id.empty() ? e.seed->id : changed_id;
        }
    }

    // 2. Refuse before running anything: edited seeds that cannot run again, and
    //    seeds not marked for a protected environment.
    if (!changed.empty()) {
        throw Error(ExitCode::drift,
                    "applied seeds changed since they ran:\n  " + util::join(changed, "\n  "),
                    "Nothing was seeded. Restore the files, mark them '-- safe-migrate: "
                    "rerunnable', or roll each back (safe-migrate --env " +
                        ctx.environment + " seed rollback --id " + changed_id + ") and run again.");
    }
    if (ctx.is_protected) {
        std::vector<std::string> unmarked;
        for (const Seed* s : to_run) {
            if (!s->protected_ok) {
                unmarked.push_back(s->id);
            }
        }
        if (!unmarked.empty()) {
            throw Error(ExitCode::refused,
                        "environment '" + ctx.environment +
                            "' is protected; seeds not marked for it: " + list(unmarked),
                        "Nothing was seeded. A seed runs on a protected environment only when "
                        "its header says '-- safe-migrate: protected-ok'.");
        }
    }

    // 3. Run each in its own transaction, recorded in the same transaction.
    int done = 0;
    for (const Seed* s : to_run) {
        say(ctx, "seeding " + s->id);
        auto took = run_in_transaction(
            ctx, s->id, s->script, "seeding", k_run_failed_hint,
            [&](milliseconds t) {
                record_seed(ctx.session, {s->id, ctx.environment, s->checksum,
                                          core::k_checksum_algorithm, ctx.scale, "", ctx.actor,
                                          t.count(), ctx.run_id, core::tool_version(), 1});
            },
            ctx.summary != nullptr ? &ctx.summary->rows : nullptr);
        event(ctx, "seed.applied",
              s->id + " (" + ctx.environment + ", scale " + std::to_string(ctx.scale) + ")");
        say(ctx, "  done in " + util::format_duration(took));
        ++done;
    }
    if (ctx.summary != nullptr) {
        ctx.summary->environment = ctx.environment;
        ctx.summary->scale = ctx.scale;
        ctx.summary->seeds += done;
    }
    return done;
}

void rollback_seed(SeedContext& ctx, const SeedSet& set, const std::string& id) {
    auto applied = read_applied_seeds(ctx.control);
    auto recorded = std::find_if(applied.begin(), applied.end(),
                                 [&](const AppliedSeed& a) { return a.id == id; });
    const Seed* seed = set.find(id);
    if (recorded == applied.end()) {
        throw Error(
            ExitCode::invalid_input,
            "seed " + id + " is not applied" + (seed == nullptr ? " (and no such seed file)" : ""),
            "Run 'safe-migrate seed status' to see the applied seeds.");
    }
    if (recorded->environment != ctx.environment) {
        throw Error(ExitCode::refused,
                    "seed " + id + " was applied to environment '" + recorded->environment +
                        "', not '" + ctx.environment + "'",
                    "Nothing was rolled back. Name the environment it was applied to: --env " +
                        recorded->environment + ".");
    }
    if (seed == nullptr) {
        throw Error(ExitCode::invalid_input,
                    "cannot roll back seed " + id + ": its file is gone from " + set.dir.string());
    }
    if (!seed->rollback) {
        throw Error(ExitCode::invalid_input,
                    "cannot roll back seed " + id + ": rollback file missing: " +
                        (seed->path.parent_path() / (id + ".rollback.sql")).string(),
                    "Nothing was rolled back. Write the rollback file.");
    }
    std::vector<std::string> dependents;
    for (const auto& a : applied) {
        const Seed* other = set.find(a.id);
        if (other == nullptr) {
            continue;
        }
        for (const auto& r : other->requires_) {
            if (r.id == id) {
                dependents.push_back(other->id);
            }
        }
    }
    if (!dependents.empty()) {
        throw Error(
            ExitCode::invalid_input,
            "cannot roll back seed " + id + ": applied seeds require it: " + list(dependents),
            "Nothing was rolled back. Roll those back first.");
    }
    if (ctx.is_protected && !seed->protected_ok) {
        throw Error(ExitCode::refused,
                    "environment '" + ctx.environment + "' is protected and seed " + id +
                        " is not marked for it",
                    "Nothing was rolled back.");
    }
    say(ctx, "rolling back seed " + id);
    auto took =
        run_in_transaction(ctx, id, *seed->rollback, "rolling back seed", k_rollback_failed_hint,
                           [&](milliseconds) { forget_seed(ctx.session, id); });
    event(ctx, "seed.rolled_back", id);
    say(ctx, "  done in " + util::format_duration(took));
}

int clear_seeds(SeedContext& ctx, const SeedSet& set) {
    if (ctx.is_protected) {
        throw Error(ExitCode::refused, "environment '" + ctx.environment +
                                           "' is protected: seed clear never runs there");
    }
    // Dependents first: the environment's run order, reversed, applied ones only.
    auto ordered = order_for_environment(set, ctx.environment, "Nothing was rolled back.");
    SeedReport report = compute_seed_status(set, ordered, read_applied_seeds(ctx.control));
    std::vector<const Seed*> chosen;
    std::vector<std::string> problems;
    for (size_t i = report.entries.size(); i-- > 0;) {
        const auto& entry = report.entries[i];
        if (entry.state == SeedState::pending) {
            continue;
        }
        if (entry.seed == nullptr) {
            if (entry.applied->environment == ctx.environment) {
                problems.push_back(entry.id + ": recorded, but its file is gone");
            }
        } else if (!entry.seed->rollback) {
            problems.push_back(
                entry.id + ": rollback file missing: " +
                (entry.seed->path.parent_path() / (entry.id + ".rollback.sql")).string());
        } else {
            chosen.push_back(entry.seed);
        }
    }
    if (!problems.empty()) {
        throw Error(ExitCode::invalid_input,
                    "cannot clear seeds:\n  " + util::join(problems, "\n  "),
                    "Nothing was rolled back. Write the rollback files, or use 'safe-migrate "
                    "reset'.");
    }
    for (const Seed* s : chosen) {
        say(ctx, "rolling back seed " + s->id);
        auto took =
            run_in_transaction(ctx, s->id, *s->rollback, "rolling back seed", k_clear_failed_hint,
                               [&](milliseconds) { forget_seed(ctx.session, s->id); });
        event(ctx, "seed.rolled_back", s->id);
        say(ctx, "  done in " + util::format_duration(took));
    }
    return static_cast<int>(chosen.size());
}

}  // namespace sm::seed
