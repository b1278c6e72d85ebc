#pragma once
// execute's preflight, before the run and before each migration: physical
// replicas within max_replica_lag, and no session that would block the
// migration's locks (or make everyone queue behind it).
//
// Blockers are shown (pid, user, application, client, state, transaction age,
// query start) and waited for, up to wait_for_blockers; then they are
// terminated when terminate_blockers is set, or the run stops with lock_busy.

#include <string>
#include <vector>

#include "executor/apply.hpp"

namespace sm::deploy {

// Throws sm::Error(refused) when a replica lags more than settings allow.
void check_replica_lag(db::Session& control, const core::ExecuteSettings& settings);

// The tables a run's per-migration checks watch: those that exist before it.
std::vector<std::string> watched_tables(executor::RunContext& ctx,
                                        const std::vector<std::string>& tables);

// Waits for the blockers of tables to go, as above. what names the step for
// messages ("the run", "20261121_add_orders"); quiet: the wait is not
// announced. Throws sm::Error: lock_busy when blockers remain after the wait,
// interrupted on SIGINT/SIGTERM.
void clear_blockers(executor::RunContext& ctx, const std::vector<std::string>& tables,
                    const std::string& what, bool quiet);

// The blockers now, without waiting: for --dry-run.
std::vector<std::string> describe_blockers(executor::RunContext& ctx,
                                           const std::vector<std::string>& tables);

}  // namespace sm::deploy
