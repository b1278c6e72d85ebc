#pragma once
// The pieces of `execute` that are not its sequence of steps: settings from
// flags, drift checks, choosing the migrations to apply, holding the run to a
// reviewed plan, and the JSON result.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/options.hpp"
#include "cli/project.hpp"
#include "executor/apply.hpp"
#include "executor/history.hpp"
#include "executor/status.hpp"

namespace sm::cli {

struct ExecuteStep {
    const core::Migration* migration = nullptr;
    std::optional<executor::PartialMigration> resume;  // an unfinished no-transaction run
};

// The config's [execute] settings with the flags applied. Throws sm::Error:
// usage for a bad duration, or on_failure = restore without a backup; refused
// for --terminate-blockers on a protected environment whose config does not
// allow it.
void apply_flag_overrides(core::ExecuteSettings& settings, const ExecuteArgs& args,
                          const core::Config& config);

// Changed and missing applied migrations stop the run (sm::Error drift),
// unless a change was accepted with --accept-changed, which updates the
// recorded checksum and is recorded as an event (not with --dry-run).
void check_drift(executor::RunContext& ctx, const executor::StatusReport& report,
                 const ExecuteArgs& args);

// The migrations to apply, in version order, up to --target. Throws
// sm::Error(drift) for pending migrations older than the head unless allowed.
std::vector<ExecuteStep> plan_steps(const Project& project, const executor::StatusReport& report,
                                    const std::vector<executor::PartialMigration>& partial,
                                    const core::ExecuteSettings& settings, const ExecuteArgs& args);

// Checks the reviewed plan against the target and the files (throws on any
// difference) and keeps only the planned migrations and the plan's settings.
void hold_to_plan(const std::filesystem::path& file, executor::Session& session,
                  const executor::StatusReport& report, std::vector<ExecuteStep>& steps,
                  core::ExecuteSettings& settings);

// Every relation the steps' up scripts lock, each once.
std::vector<std::string> tables_of(const Project& project, const std::vector<ExecuteStep>& steps);

void print_json_result(
    const std::string& run_id, const std::string& target,
    const std::vector<std::pair<const core::Migration*, std::chrono::milliseconds>>& applied,
    std::optional<int64_t> head);

}  // namespace sm::cli
