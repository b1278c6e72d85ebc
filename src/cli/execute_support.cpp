#include "cli/execute_support.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/history.hpp"
#include "executor/target_info.hpp"
#include "planner/plan.hpp"
#include "util/files.hpp"

namespace sm::cli {
namespace {

using executor::MigrationState;

std::optional<std::chrono::milliseconds> optional_duration(
    const std::optional<std::string>& text, const char* flag,
    std::optional<std::chrono::milliseconds> fallback) {
    auto value = text ? duration_flag(text, flag, std::chrono::milliseconds(0)) : fallback;
    if (value && value->count() == 0) {
        return std::nullopt;  // 0 means no limit, as everywhere
    }
    return value;
}

}  // namespace

void apply_flag_overrides(core::ExecuteSettings& s, const ExecuteArgs& args,
                          const core::Config& config) {
    s.lock_wait = duration_flag(args.lock_wait, "--lock-wait", s.lock_wait);
    s.lock_timeout = duration_flag(args.lock_timeout, "--lock-timeout", s.lock_timeout);
    if (args.lock_retries) {
        s.lock_retries = *args.lock_retries;
    }
    s.allow_out_of_order = s.allow_out_of_order || args.allow_out_of_order;
    if (args.on_failure) {
        s.on_failure = *args.on_failure;
    }
    s.wait_for_blockers =
        duration_flag(args.wait_for_blockers, "--wait-for-blockers", s.wait_for_blockers);
    s.blocker_age = duration_flag(args.blocker_age, "--blocker-age", s.blocker_age);
    s.max_replica_lag =
        optional_duration(args.max_replica_lag, "--max-replica-lag", s.max_replica_lag);
    s.max_duration = optional_duration(args.max_duration, "--max-duration", s.max_duration);
    if (args.terminate_blockers) {
        // On a protected environment only its config may allow terminating sessions.
        if (config.is_protected() && !s.terminate_blockers) {
            throw Error(ExitCode::refused,
                        "--terminate-blockers is not allowed on protected environment " +
                            config.environment.value_or(""),
                        "Set terminate_blockers = true in [environments." +
                            config.environment.value_or("") +
                            ".execute] if this environment's policy allows it.");
        }
        s.terminate_blockers = true;
    }
    if (s.on_failure == "restore" &&
        (args.skip_backup || (!args.backup && !config.is_protected()))) {
        throw Error(ExitCode::usage, "on_failure = restore needs a pre-deploy backup: add --backup",
                    "Or choose --on-failure rollback (down files) or stop.");
    }
}

void check_drift(executor::RunContext& ctx, const executor::StatusReport& report,
                 const ExecuteArgs& args) {
    bool record = !args.dry_run;
    std::vector<std::string> problems;
    for (const auto& e : report.entries) {
        if (e.state == MigrationState::changed) {
            bool accepted = std::find(args.accept_changed.begin(), args.accept_changed.end(),
                                      e.version) != args.accept_changed.end();
            if (accepted && !record) {
                core::log_warn("would accept the changed file of " + std::to_string(e.version) +
                               "_" + e.name);
                continue;
            }
            if (accepted) {
                ctx.control.exec_params(
                    "UPDATE safe_migrate.history SET checksum = $2 WHERE version = $1",
                    {std::to_string(e.version), e.file_checksum});
                executor::record_event(ctx.control,
                                       {ctx.run_id, "checksum.accepted", e.version,
                                        "accepted changed file: recorded " + e.recorded_checksum +
                                            ", file " + e.file_checksum});
                core::log_warn("accepted the changed file of " + std::to_string(e.version) + "_" +
                               e.name);
                continue;
            }
            problems.push_back(std::to_string(e.version) + "_" + e.name +
                               ": file changed after it was applied" + "\n      recorded " +
                               e.recorded_checksum + "\n      file     " + e.file_checksum);
        } else if (e.state == MigrationState::missing) {
            problems.push_back(std::to_string(e.version) + "_" + e.name +
                               ": applied, but its file is gone");
        }
    }
    if (!problems.empty()) {
        std::string message = "applied migrations differ from their files:";
        for (const auto& p : problems) {
            message += "\n  " + p;
        }
        throw Error(ExitCode::drift, message,
                    "Restore the original files, or accept a deliberate change with "
                    "--accept-changed VERSION "
                    "(recorded as an event). See runbooks/checksum-drift.md.");
    }
}

std::vector<ExecuteStep> plan_steps(const Project& project, const executor::StatusReport& report,
                                    const std::vector<executor::PartialMigration>& partial,
                                    const core::ExecuteSettings& settings,
                                    const ExecuteArgs& args) {
    std::vector<ExecuteStep> steps;
    std::vector<std::string> out_of_order;
    for (const auto& e : report.entries) {
        if (args.target && e.version > *args.target) {
            continue;
        }
        if (e.state == MigrationState::out_of_order) {
            out_of_order.push_back(std::to_string(e.version) + "_" + e.name);
        }
        if (executor::to_apply(e.state)) {
            ExecuteStep step{project.migrations.find(e.version), std::nullopt};
            for (const auto& p : partial) {
                if (p.version == e.version) {
                    step.resume = p;
                }
            }
            steps.push_back(step);
        }
    }
    if (!out_of_order.empty() && !settings.allow_out_of_order) {
        std::string list;
        for (const auto& id : out_of_order) {
            list += "\n  " + id;
        }
        throw Error(
            ExitCode::drift,
            "pending migrations are older than the newest applied version " +
                std::to_string(report.head.value_or(0)) + ":" + list,
            "A branch merged older migrations. Renumber them, or apply them deliberately with "
            "--allow-out-of-order.");
    }
    return steps;
}

void print_json_result(
    const std::string& run_id, const std::string& target,
    const std::vector<std::pair<const core::Migration*, std::chrono::milliseconds>>& applied,
    std::optional<int64_t> head) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [m, took] : applied) {
        list.push_back({{"version", m->version}, {"name", m->name}, {"duration_ms", took.count()}});
    }
    nlohmann::json out = {{"run_id", run_id},
                          {"target", target},
                          {"result", "ok"},
                          {"applied", list},
                          {"head", head ? nlohmann::json(*head) : nlohmann::json(nullptr)}};
    std::printf("%s\n", out.dump(2).c_str());
}

void hold_to_plan(const std::filesystem::path& file, executor::Session& session,
                  const executor::StatusReport& report, std::vector<ExecuteStep>& steps,
                  core::ExecuteSettings& settings) {
    planner::PlanCheck now;
    now.target = executor::read_identity(session);
    now.head = report.head;
    now.settings = settings;
    for (const auto& step : steps) {
        now.pending.push_back(step.migration);
    }
    auto artifact = planner::check_plan_artifact(util::read_file(file), file.string(), now);
    std::vector<ExecuteStep> planned;
    for (const auto& step : steps) {
        for (const auto& m : artifact.migrations) {
            if (m.version == step.migration->version) {
                planned.push_back(step);
            }
        }
    }
    steps = planned;
    // The plan fixes the timeouts and retries; the run's safety policy stays.
    core::ExecuteSettings policy = settings;
    settings = artifact.settings;
    settings.blocker_age = policy.blocker_age;
    settings.wait_for_blockers = policy.wait_for_blockers;
    settings.terminate_blockers = policy.terminate_blockers;
    settings.max_replica_lag = policy.max_replica_lag;
    settings.max_duration = policy.max_duration;
    settings.on_failure = policy.on_failure;
    settings.restore_fallback = policy.restore_fallback;
    settings.restore_terminates_sessions = policy.restore_terminates_sessions;
    core::log_info("holding the run to the plan in " + file.string() + " (" +
                   std::to_string(steps.size()) + " migration(s))");
}

std::vector<std::string> tables_of(const Project& project, const std::vector<ExecuteStep>& steps) {
    std::vector<std::string> out;
    for (const auto& step : steps) {
        for (const auto& t : project.up.at(step.migration->version).tables()) {
            if (std::find(out.begin(), out.end(), t) == out.end()) {
                out.push_back(t);
            }
        }
    }
    return out;
}

}  // namespace sm::cli
