#pragma once
// Which migrations a run applies, and the checks on the way there: drift
// between files and history, out-of-order files, and a reviewed plan the run
// is held to.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "executor/apply.hpp"
#include "executor/status.hpp"
#include "planner/policy.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

struct Step {
    const core::Migration* migration = nullptr;
    std::optional<db::PartialMigration> resume;  // an unfinished no-transaction run
};

// Changed and missing applied migrations stop the run (sm::Error drift),
// unless a change is in accepted: then, when record is set, the recorded
// checksum is updated and the acceptance recorded as an event; a dry run
// (record false) only says it would accept it.
void check_drift(executor::RunContext& ctx, const executor::StatusReport& report,
                 const std::vector<core::Version>& accepted, bool record);

// The migrations to apply, in version order, up to up_to. Throws
// sm::Error(invalid_input) when up_to names no migration (the nearest versions
// named), sm::Error(drift) for pending migrations older than the head unless
// settings allow out-of-order application (allow_out_of_order, or
// out_of_order_by_dependency for a migration whose requirements are met and
// that no applied migration requires).
std::vector<Step> choose_steps(const planner::Project& project,
                               const executor::StatusReport& report,
                               const std::vector<db::PartialMigration>& partial,
                               const core::ExecuteSettings& settings,
                               std::optional<core::Version> up_to);

// Throws sm::Error(invalid_input) listing each step whose requirements
// (requires=) are neither applied nor earlier steps; nothing was applied.
void check_requirements(const planner::Project& project, const executor::StatusReport& report,
                        const std::vector<Step>& steps);

// Checks the reviewed plan in file against the target, the files and lint_policy
// (throws sm::Error on any difference; its verdict is the run's policy gate),
// keeps only the planned steps and takes the plan's timeouts and retries into
// settings; the run's safety settings stay. Returns false, with steps
// emptied, when the target is already exactly at the plan's end state (a
// retried pipeline): nothing to apply, and not an error.
bool hold_to_plan(const std::filesystem::path& file, db::Session& session,
                  const executor::StatusReport& report, const planner::Policy& lint_policy,
                  std::vector<Step>& steps, core::ExecuteSettings& settings);

// Every relation the steps' up scripts lock, each once.
std::vector<std::string> tables_of(const planner::Project& project, const std::vector<Step>& steps);

// Stops the run between migrations once settings.max_duration is used up
// (used: the run's time so far): sm::Error(failure) naming next.
void check_time_left(const core::ExecuteSettings& settings, std::chrono::milliseconds used,
                     const core::Migration& next);

// Those of step's tables that are in watched (the tables the run watches:
// those that existed before it).
std::vector<std::string> step_watched_tables(const planner::Project& project, const Step& step,
                                             const std::vector<std::string>& watched);

// Step i + 1, when it may go to the server while step i runs (sending ahead,
// executor/apply.hpp): the run checks nothing before it that could stop it
// (no replica lag check: ctx.settings.max_replica_lag unset; no watched table;
// not a contract step) and both are transactions executor::can_send_ahead allows.
std::optional<executor::NextMigration> next_to_send(const executor::RunContext& ctx,
                                                    const planner::Project& project,
                                                    const std::vector<Step>& steps, size_t i,
                                                    const std::vector<std::string>& watched);

}  // namespace sm::deploy
