#pragma once
// Reading a target without changing it: where it stands against the files
// (status), and what execute would do to it (plan). Neither takes the
// migration lock or creates the history schema.

#include <functional>
#include <optional>
#include <string>

#include "core/conninfo.hpp"
#include "core/health.hpp"
#include "executor/status.hpp"
#include "executor/trace.hpp"
#include "planner/plan.hpp"
#include "planner/project.hpp"
#include "sandbox/throwaway.hpp"

namespace sm::deploy {

// What status shows beside the migrations (--tables, --health).
struct StatusExtras {
    bool tables = false;
    bool health = false;
};

struct TargetStatus {
    std::string target;  // display form, no password
    executor::StatusReport report;
    std::optional<std::vector<core::TableStats>> tables;  // with StatusExtras::tables
    std::optional<core::Health> health;                   // with StatusExtras::health
};

// Reads the target's history and compares it with the project's files, and
// what extras asks for (read-only, in the same session). Throws sm::Error
// (db_unreachable) when the target cannot be reached.
TargetStatus read_status(const planner::Project& project, const core::Target& target,
                         StatusExtras extras = {});

struct PlanRequest {
    const planner::Project* project = nullptr;
    core::Target target;
    planner::Policy policy;
    bool trace = false;  // apply the pending migrations to a throwaway copy of the schema
};

// The plan of the pending migrations under the policy, with the target's
// table sizes (and with trace, what the copy observed). Drift and out-of-order
// files block it. The plan is handed to report (which prints it and writes the
// artifact) and returned; a blocked plan is then notified (plan.blocked).
planner::Plan plan_for_target(const PlanRequest& request,
                              const std::function<void(const planner::Plan&)>& report);

// Copies target's schema into database dbname of cluster and applies inputs
// there statement by statement (executor::trace_scripts): what each locked,
// rewrote and scanned. plan --trace and rewrite's proof both use it.
std::vector<core::TracedStatement> trace_on_copy(const sandbox::ThrowawayCluster& cluster,
                                                 const core::Target& target,
                                                 const std::string& dbname,
                                                 const std::vector<executor::TraceInput>& inputs);

}  // namespace sm::deploy
