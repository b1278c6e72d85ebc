#pragma once
// The policy gate of a run: the steps it is about to apply, linted under the
// run's policy with the target's context (its PostgreSQL version, the sizes of
// the tables they touch), by the same code for the real run and the dry run;
// and what that means for the run: proceed, stop on policy errors, go past
// them with --override-policy, or refuse the override.

#include <optional>
#include <string>
#include <vector>

#include "db/session.hpp"
#include "deploy/reporter.hpp"
#include "deploy/request.hpp"
#include "deploy/steps.hpp"
#include "planner/plan.hpp"
#include "util/error.hpp"

namespace sm::deploy {

// The plan of input's pending migrations on the target session reads: its
// identity and PostgreSQL version, then the sizes of the tables the plan
// touches (read only). `plan`, the dry run and execute's gate all plan here.
planner::Plan plan_on_target(db::Session& session, const planner::Project& project,
                             planner::PlanInput input);

// The plan of steps, applied on top of head, under request.policy, with the
// target's identity and table sizes read on session (read only). Throws
// sm::Error when the target cannot be read.
planner::Plan plan_steps(const Request& request, db::Session& session,
                         std::optional<core::Version> head, const std::vector<Step>& steps);

struct GateDecision {
    ExitCode stop = ExitCode::ok;                // ok: the run proceeds
    std::string reason;                          // why it stops: lower case, no final period
    std::string hint;                            // a full sentence, or ""
    std::optional<PolicyOverridden> overridden;  // it proceeds past a blocked plan
};

// What the gate decides for plan under request. An override on a protected
// environment whose config does not set allow_policy_override is refused
// (refused), blocked plan or not; a blocked plan stops the run (policy) unless
// overridden. An override of an allowed plan overrides nothing.
GateDecision decide_gate(const Request& request, const planner::Plan& plan);

}  // namespace sm::deploy
