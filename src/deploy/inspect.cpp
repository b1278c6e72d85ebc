#include "deploy/inspect.hpp"

#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/health.hpp"
#include "db/history.hpp"
#include "deploy/phases.hpp"
#include "deploy/policy_gate.hpp"
#include "deploy/rewrite.hpp"
#include "deploy/steps.hpp"
#include "executor/trace.hpp"
#include "notify/notifier.hpp"
#include "sandbox/schema_copy.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::deploy {

std::vector<core::TracedStatement> trace_on_copy(const sandbox::ThrowawayCluster& cluster,
                                                 const core::Target& target,
                                                 const std::string& dbname,
                                                 const std::vector<executor::TraceInput>& inputs) {
    sandbox::copy_schema(target.conninfo, cluster.state(), dbname);
    auto session = db::connect(cluster.url(dbname), "safe-migrate/trace");
    return executor::trace_scripts(*session, inputs);
}

namespace {

std::unique_ptr<db::Session> open(const planner::Project& project, const core::Target& target) {
    return db::connect_as(target.conninfo, project.config.application_name, "");
}

// Starts a sandbox, loads the target's schema into it, applies the pending
// migrations statement by statement and records what was locked and rewritten.
void trace_plan(const core::Target& target, const planner::Project& project, planner::Plan& plan) {
    core::log_info("trace: starting a throwaway PostgreSQL and copying the target's schema");
    sandbox::ThrowawayCluster cluster("sm-trace");
    std::vector<executor::TraceInput> inputs;
    for (const auto& m : plan.migrations) {
        inputs.push_back({m.version, &project.up.at(m.version)});
    }
    planner::attach_trace(plan, trace_on_copy(cluster, target, "trace", inputs));
}

// The pending migrations plain execute applies (up to the backfill phase,
// phases.hpp), in order; drift and out-of-order files are listed so that they
// block the plan.
void add_pending(const planner::Project& project, const executor::StatusReport& report,
                 planner::PlanInput& input) {
    using executor::MigrationState;
    bool held = false;
    for (const auto& e : report.entries) {
        std::string id = core::to_string(e.version) + "_" + e.name;
        if (executor::to_apply(e.state)) {
            const core::Migration* m = project.migrations.find(e.version);
            held = held || m->up.directives.phase > core::Phase::backfill;
            if (!held) {
                input.pending.push_back(m);
            }
        }
        if (e.state == MigrationState::changed || e.state == MigrationState::missing) {
            input.drift.push_back(id + " is " + executor::state_name(e.state));
        }
    }
    // Out-of-order files (unless allowed) and unmet requirements as execute
    // chooses and checks them (deploy/steps.hpp).
    try {
        auto steps = choose_steps(project, report, {}, project.config.execute, std::nullopt);
        check_requirements(project, report, cut_at_phase(steps, core::Phase::backfill).steps);
    } catch (const Error& e) {
        if (e.code() != ExitCode::drift) {
            throw;
        }
        auto lines = util::split(e.what(), '\n');  // the header, then one file a line
        for (size_t i = 1; i < lines.size(); ++i) {
            input.drift.push_back(std::string(util::trim(lines[i])) +
                                  " is older than the newest applied version");
        }
    }
}

void notify_blocked(const planner::Project& project, const core::TargetIdentity& target,
                    const planner::PlanInput& input) {
    notify::Notifier notifier(project.config, core::new_run_id());
    notify::Event e = notifier.event("plan.blocked", "blocked");
    e.target = notify::event_target(target);
    e.version_from = input.head;
    for (const auto* m : input.pending) {
        e.migrations.push_back(m->id());
        e.version_to = m->version;
    }
    e.error =
        notify::event_error(ExitCode::policy, "the plan is blocked by policy " + input.policy.name);
    notifier.send(e);
}

}  // namespace

TargetStatus read_status(const planner::Project& project, const core::Target& target,
                         StatusExtras extras) {
    auto session = open(project, target);
    auto applied = db::read_applied(*session);
    auto partial = db::read_partial(*session);
    TargetStatus status{session->display_name(),
                        executor::compute_status(project.migrations, applied, partial),
                        std::nullopt, std::nullopt};
    if (extras.tables) {
        status.tables = db::read_table_stats(*session);
    }
    if (extras.health) {
        status.health = db::read_health(*session);
    }
    return status;
}

planner::Plan plan_for_target(const PlanRequest& request,
                              const std::function<void(const planner::Plan&)>& report) {
    const planner::Project& project = *request.project;
    // 1. Read the target: who it is, its history, where it stands.
    auto session = open(project, request.target);
    planner::PlanInput input;
    auto status = executor::compute_status(project.migrations, db::read_applied(*session),
                                           db::read_partial(*session));

    // 2. Lint the pending migrations under the policy with the target's
    //    version, and cost each table.
    input.head = status.head;
    input.settings = project.config.execute;
    input.policy = request.policy;
    add_pending(project, status, input);
    prove_unproven(project, request.target, input.pending);  // rewrite's unproven steps first
    planner::Plan plan = plan_on_target(*session, project, input);

    // 3. With trace, prove the prediction on a throwaway copy of the schema.
    if (request.trace) {
        trace_plan(request.target, project, plan);
    }
    // 4. Report, then tell the team when the policy blocks it.
    report(plan);
    if (!plan.allowed()) {
        notify_blocked(project, plan.target, input);
    }
    return plan;
}

}  // namespace sm::deploy
