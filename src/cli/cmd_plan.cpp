// safe-migrate plan: what execute would do, for review, and the artifact it is held to.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "executor/history.hpp"
#include "executor/status.hpp"
#include "executor/target_info.hpp"
#include "executor/trace.hpp"
#include "notify/notifier.hpp"
#include "planner/plan.hpp"
#include "planner/policy.hpp"
#include "sandbox/cluster.hpp"
#include "sandbox/schema_copy.hpp"
#include "util/files.hpp"

namespace sm::cli {

namespace {

// Starts a sandbox, loads the target's schema into it, applies the pending
// migrations statement by statement and records what was locked and rewritten.
void trace_on_copy(const core::Target& target, const Project& project, planner::Plan& plan) {
    util::TempDir state_dir("sm-trace");
    std::filesystem::path state_file = state_dir.path() / "sandbox.json";
    core::log_info("trace: starting a throwaway PostgreSQL and copying the target's schema");
    auto cluster = sandbox::start_cluster(state_file);
    try {
        sandbox::copy_schema(target.conninfo, cluster, "trace");
        auto session = executor::connect(cluster.url("trace"), "safe-migrate/trace");
        std::vector<executor::TraceInput> inputs;
        for (const auto& m : plan.migrations) {
            inputs.push_back({m.version, &project.up.at(m.version)});
        }
        planner::attach_trace(plan, executor::trace_scripts(*session, inputs));
    } catch (...) {
        sandbox::stop_cluster(state_file);
        throw;
    }
    sandbox::stop_cluster(state_file);
}

}  // namespace

int run_plan(const GlobalOptions& options, const PlanArgs& args) {
    // 1. Load the config, every script and the policy.
    Project project = load_project(options);
    planner::Policy policy = planner::load_policy(args.policy);

    // 2. Read the target: who it is, its history, where it stands.
    core::Target target = resolve_target(options, project.config);
    auto session = connect_target(target, project.config);
    auto identity = executor::read_identity(*session);
    auto report = executor::compute_status(project.migrations, executor::read_applied(*session),
                                           executor::read_partial(*session));

    // 3. The pending migrations, in order; drift and out-of-order files block the plan.
    planner::PlanInput input;
    input.target = identity;
    input.head = report.head;
    input.scripts = &project.up;
    input.settings = project.config.execute;
    input.policy = policy;
    for (const auto& e : report.entries) {
        using executor::MigrationState;
        if (executor::to_apply(e.state)) {
            input.pending.push_back(project.migrations.find(e.version));
        }
        if (e.state == MigrationState::changed || e.state == MigrationState::missing) {
            input.drift.push_back(std::to_string(e.version) + "_" + e.name + " is " +
                                  executor::state_name(e.state));
        }
        if (e.state == MigrationState::out_of_order && !project.config.execute.allow_out_of_order) {
            input.drift.push_back(std::to_string(e.version) + "_" + e.name +
                                  " is older than the newest applied version");
        }
    }

    // 4. Lint under the policy with the target's version, and cost each table.
    planner::Plan plan = planner::build_plan(input);
    plan.tables = executor::read_table_sizes(*session, planner::touched_tables(plan));

    // 5. With --trace, prove the prediction on a throwaway copy of the schema.
    if (args.trace) {
        trace_on_copy(target, project, plan);
    }

    // 6. Report; write the artifact that execute --plan is held to.
    std::string artifact = planner::plan_to_json(plan);
    if (args.out) {
        util::write_file_atomic(*args.out, artifact);
        core::log_info("plan written to " + args.out->string());
    }
    if (options.format == Format::json) {
        std::fwrite(artifact.data(), 1, artifact.size(), stdout);
    } else {
        std::string text = planner::render_plan_text(plan);
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    if (!plan.allowed()) {
        notify::Notifier notifier(project.config, core::new_run_id());
        notify::Event e = notifier.event("plan.blocked", "blocked");
        e.target = notify::event_target(identity);
        e.version_from = report.head;
        for (const auto* m : input.pending) {
            e.migrations.push_back(m->id());
            e.version_to = m->version;
        }
        e.error =
            notify::event_error(ExitCode::policy, "the plan is blocked by policy " + policy.name);
        notifier.send(e);
    }
    return plan.allowed() ? 0 : static_cast<int>(ExitCode::policy);
}

}  // namespace sm::cli
