#include "deploy/preflight_gate.hpp"

#include <set>
#include <thread>

#include "core/log.hpp"
#include "db/history.hpp"
#include "executor/preflight.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds k_poll{100};

std::vector<int> own_pids(executor::RunContext& ctx) {
    return {ctx.control.backend_pid(), ctx.migration.backend_pid()};
}

}  // namespace

void check_replica_lag(db::Session& control, const core::ExecuteSettings& settings) {
    if (!settings.max_replica_lag) {
        return;
    }
    std::vector<std::string> behind;
    for (const auto& r : executor::replica_lag(control)) {
        if (r.lag > *settings.max_replica_lag) {
            behind.push_back(r.name + " replays " + util::format_duration(r.lag) + " behind");
        }
    }
    if (!behind.empty()) {
        throw Error(ExitCode::refused,
                    "replicas lag more than max_replica_lag (" +
                        util::format_duration(*settings.max_replica_lag) +
                        "): " + util::join(behind, "; "),
                    "Nothing was applied by this step. Wait for the replicas to catch up, or "
                    "raise --max-replica-lag.");
    }
}

std::vector<std::string> watched_tables(executor::RunContext& ctx,
                                        const std::vector<std::string>& tables) {
    return executor::existing_relations(ctx.control, tables);
}

std::vector<std::string> describe_blockers(executor::RunContext& ctx,
                                           const std::vector<std::string>& tables) {
    std::vector<std::string> out;
    for (const auto& b :
         executor::find_blockers(ctx.control, tables, ctx.settings.blocker_age, own_pids(ctx))) {
        out.push_back(b.describe());
    }
    return out;
}

namespace {

void wait_for_blockers(executor::RunContext& ctx, const std::vector<std::string>& tables,
                       const std::string& what, bool quiet) {
    const auto& s = ctx.settings;
    auto deadline = Clock::now() + s.wait_for_blockers;
    std::set<int> shown;
    bool waited = false;
    for (;;) {
        auto blockers = executor::find_blockers(ctx.control, tables, s.blocker_age, own_pids(ctx));
        if (blockers.empty()) {
            if (waited) {
                core::log_info("blocking sessions are gone; going on with " + what);
                db::record_event(ctx.control, {ctx.run_id, "preflight.clear", std::nullopt,
                                               "blocking sessions gone before " + what});
            }
            return;
        }
        for (const auto& b : blockers) {
            if (shown.insert(b.pid).second) {
                core::log_warn("blocking " + what + ": " + b.describe());
                db::record_event(ctx.control, {ctx.run_id, "preflight.blocked", std::nullopt,
                                               what + ": " + b.describe()});
            }
        }
        if (!waited && !quiet) {
            core::log_warn("waiting up to " + util::format_duration(s.wait_for_blockers) +
                           " for them to finish (--wait-for-blockers)");
        }
        waited = true;
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted,
                        "interrupted while waiting for blocking sessions before " + what);
        }
        if (Clock::now() >= deadline) {
            std::vector<std::string> list;
            list.reserve(blockers.size());
            for (const auto& b : blockers) {
                list.push_back(b.describe());
            }
            if (s.terminate_blockers) {
                auto done = executor::terminate_blockers(ctx.control, blockers);
                for (const auto& b : blockers) {
                    bool ended = std::find(done.begin(), done.end(), b.pid) != done.end();
                    std::string line = (ended ? "terminated " : "could not terminate ") +
                                       b.describe() + " (--terminate-blockers)";
                    core::log_warn(line);
                    db::record_event(ctx.control,
                                     {ctx.run_id, "preflight.terminated", std::nullopt, line});
                }
                // A terminated session is gone within moments.
                for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until;) {
                    std::this_thread::sleep_for(k_poll);
                    if (executor::find_blockers(ctx.control, tables, s.blocker_age, own_pids(ctx))
                            .empty()) {
                        return;
                    }
                }
                throw Error(ExitCode::lock_busy,
                            "sessions still block " + what + " after terminating them:\n  " +
                                util::join(list, "\n  "),
                            "See runbooks/lock-timeouts.md.");
            }
            throw Error(ExitCode::lock_busy,
                        "sessions block " + what + " after waiting " +
                            util::format_duration(s.wait_for_blockers) +
                            (what == "the run" ? "; nothing was applied" : "") + ":\n  " +
                            util::join(list, "\n  "),
                        "Ask their owners to finish, raise --wait-for-blockers, or allow "
                        "--terminate-blockers. See runbooks/lock-timeouts.md.");
        }
        std::this_thread::sleep_for(k_poll);
    }
}

}  // namespace

void clear_blockers(executor::RunContext& ctx, const std::vector<std::string>& tables,
                    const std::string& what, bool quiet) {
    try {
        wait_for_blockers(ctx, tables, what, quiet);
    } catch (const db::DbError& e) {
        // E.g. a role that may not terminate another role's session.
        throw Error(e.connection_lost() ? ExitCode::db_unreachable : ExitCode::lock_busy,
                    "the preflight check before " + what + " failed: " + e.what(),
                    "Terminating sessions needs superuser or pg_signal_backend; seeing them "
                    "needs pg_read_all_stats. See runbooks/lock-timeouts.md.");
    }
}

}  // namespace sm::deploy
