#include "cli/execute_dry_run.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "backup/create.hpp"
#include "cli/execute_support.hpp"
#include "cli/preflight_gate.hpp"
#include "core/error.hpp"
#include "executor/advisory_lock.hpp"
#include "executor/status.hpp"
#include "executor/target_info.hpp"
#include "planner/plan.hpp"
#include "planner/policy.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

struct Verdict {
    ExitCode code = ExitCode::ok;
    std::vector<std::string> reasons;

    void stop(ExitCode why, const std::string& reason) {
        if (code == ExitCode::ok) {
            code = why;
        }
        reasons.push_back(reason);
    }
};

}  // namespace

int dry_run_execute(const GlobalOptions& options, const ExecuteArgs& args, const Project& project,
                    executor::RunContext& ctx) {
    executor::Session& control = ctx.control;
    core::ExecuteSettings settings = ctx.settings;

    // 1. Where the target stands, read only (no history schema is created).
    auto partial = executor::read_partial(control);
    auto report =
        executor::compute_status(project.migrations, executor::read_applied(control), partial);

    // 2. Drift and the migrations to apply, as the run would see them.
    check_drift(ctx, report, args);
    std::vector<ExecuteStep> steps = plan_steps(project, report, partial, settings, args);
    if (args.plan) {
        hold_to_plan(*args.plan, control, report, steps, settings);
        ctx.settings = settings;
    }

    // 3. The plan: lint under the policy, predicted locks, table sizes.
    planner::PlanInput input;
    input.target = executor::read_identity(control);
    input.head = report.head;
    input.scripts = &project.up;
    input.settings = settings;
    input.policy = planner::load_policy(std::nullopt);
    for (const auto& step : steps) {
        input.pending.push_back(step.migration);
    }
    planner::Plan plan = planner::build_plan(input);
    plan.tables = executor::read_table_sizes(control, planner::touched_tables(plan));
    Verdict verdict;
    if (!plan.allowed()) {
        verdict.stop(ExitCode::policy, "the plan is blocked by policy " + input.policy.name);
    }

    // 4. Preflight, once and without waiting: the lock, replicas, blockers.
    nlohmann::json lock_holder = nullptr;
    if (auto holder = executor::find_lock_holder(control)) {
        lock_holder = holder->describe();
        verdict.stop(ExitCode::lock_busy,
                     "another runner holds the migration lock: " + holder->describe());
    }
    std::vector<std::string> blockers;
    if (!steps.empty()) {
        try {
            check_replica_lag(control, settings);
        } catch (const Error& e) {
            verdict.stop(e.code(), e.what());
        }
        blockers = describe_blockers(ctx, tables_of(project, steps));
        for (const auto& b : blockers) {
            verdict.stop(ExitCode::lock_busy, "blocking session: " + b);
        }
    }

    // 5. What would be backed up first.
    if (args.skip_backup && (!args.reason || util::trim(*args.reason).empty())) {
        verdict.stop(ExitCode::usage, "--skip-backup needs --reason \"...\"");
    }
    bool backup =
        !steps.empty() && !args.skip_backup && (args.backup || project.config.is_protected());
    int64_t backup_bytes = backup ? backup::estimate_data_bytes(control) : 0;

    // 6. Report: the plan, then the verdict.
    if (options.format == Format::json) {
        nlohmann::json out = {{"dry_run", true},
                              {"would_proceed", verdict.code == ExitCode::ok},
                              {"exit_code", static_cast<int>(verdict.code)},
                              {"reasons", verdict.reasons},
                              {"plan", nlohmann::json::parse(planner::plan_to_json(plan))},
                              {"preflight", {{"lock_holder", lock_holder}, {"blockers", blockers}}},
                              {"backup",
                               {{"required", backup},
                                {"estimated_data_bytes", backup_bytes},
                                {"directory", project.config.backup.dir.string()}}},
                              {"on_failure", settings.on_failure}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::string text = planner::render_plan_text(plan);
        std::fwrite(text.data(), 1, text.size(), stdout);
        say(options, "");
        say(options, "dry run: nothing was changed");
        say(options, backup ? "  a pre-deploy backup would be taken first (about " +
                                  util::human_bytes(backup_bytes) + " of table data) into " +
                                  project.config.backup.dir.string()
                            : "  no pre-deploy backup would be taken");
        say(options, "  on failure: " + settings.on_failure);
        for (const auto& r : verdict.reasons) {
            say(options, "  would stop: " + r);
        }
        say(options, verdict.code == ExitCode::ok
                         ? (steps.empty() ? "  nothing to apply"
                                          : "  the run would proceed: " +
                                                std::to_string(steps.size()) + " migration(s)")
                         : "  the run would not proceed (exit " +
                               std::to_string(static_cast<int>(verdict.code)) + ", " +
                               exit_code_name(verdict.code) + ")");
    }
    return static_cast<int>(verdict.code);
}

}  // namespace sm::cli
