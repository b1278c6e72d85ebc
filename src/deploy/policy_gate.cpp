#include "deploy/policy_gate.hpp"

#include "db/target_info.hpp"
#include "util/strings.hpp"

namespace sm::deploy {

planner::Plan plan_on_target(db::Session& session, const planner::Project& project,
                             planner::PlanInput input) {
    input.target = db::read_identity(session);
    input.scripts = &project.up;
    input.broken_down = &project.broken_down;
    planner::Plan plan = planner::build_plan(input);
    planner::attach_table_sizes(plan, db::read_table_sizes(session, planner::touched_tables(plan)));
    return plan;
}

planner::Plan plan_steps(const Request& request, db::Session& session,
                         std::optional<core::Version> head, const std::vector<Step>& steps) {
    planner::PlanInput input;
    input.head = std::move(head);
    input.settings = request.settings;
    input.policy = request.policy;
    for (const auto& step : steps) {
        input.pending.push_back(step.migration);
    }
    return plan_on_target(session, *request.project, std::move(input));
}

GateDecision decide_gate(const Request& request, const planner::Plan& plan) {
    const core::Config& config = request.project->config;
    GateDecision gate;
    if (request.policy_override.requested && config.is_protected() &&
        !request.settings.allow_policy_override) {
        std::string env = config.environment.value_or("");
        gate.stop = ExitCode::refused;
        gate.reason = "--override-policy is not allowed on protected environment " + env;
        gate.hint = "Set allow_policy_override = true in [environments." + env +
                    ".execute] if this environment's policy allows it.";
        return gate;
    }
    if (plan.allowed()) {
        return gate;
    }
    if (request.policy_override.requested) {
        gate.overridden =
            PolicyOverridden{plan.policy.name, plan.lint.errors, request.policy_override.reason};
        return gate;
    }
    gate.stop = ExitCode::policy;
    gate.reason = "the plan is blocked by policy " + plan.policy.name + " (" +
                  util::join(plan.blocked_because, "; ") + ")";
    gate.hint =
        "Fix the findings, or suppress one with a reason (-- safe-migrate: allow RULE "
        "reason=\"...\"); in an emergency, safe-migrate execute --override-policy --reason "
        "\"...\" (recorded).";
    return gate;
}

}  // namespace sm::deploy
