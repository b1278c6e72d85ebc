#pragma once
// What a deployment tells its caller while it runs and when it ends. The
// command line implements it for text and JSON; a fleet rollout would prefix
// each line with its target. Warnings (blocking sessions, what a rollback
// undoes) go to the log (stderr) by the library itself and are not here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "planner/plan.hpp"

namespace sm::deploy {

struct AppliedStep {
    core::Version version;
    std::string name;
    std::chrono::milliseconds took{0};
};

// The run went past a policy gate that blocked it (--override-policy).
struct PolicyOverridden {
    std::string policy;  // the policy's name
    int findings = 0;    // error findings overridden
    std::string reason;  // why, as given
};

// One post-deploy check's outcome (deploy/checks.hpp).
struct CheckResult {
    std::string name;
    std::string kind;  // "sql", "command", or "validate" (execute --verify)
    bool passed = false;
    std::string detail;  // why it failed, one redacted line; "" when it passed
    std::chrono::milliseconds took{0};
};

// A run that finished (exit 0).
struct Result {
    std::string run_id;
    std::string target;  // display form, no password
    std::vector<AppliedStep> applied;
    std::optional<core::Version> head;  // the version the target is at now
    std::chrono::milliseconds took{0};
    bool nothing_pending = false;
    bool plan_already_applied = false;  // --plan: the target was already at its end state
    std::optional<PolicyOverridden> policy_overridden;
    // Pending migrations left for a later phase ("3_drop_old (contract)"; phases.hpp).
    std::vector<std::string> held;
    std::vector<CheckResult> checks;  // run after the last migration, all passed
};

// What a dry run found: the plan it would apply and every reason it would stop.
struct DryRunReport {
    planner::Plan plan;
    std::vector<std::string> reasons;        // each reason the run would not proceed
    int exit_code = 0;                       // of the first reason; 0: it would proceed
    std::optional<std::string> lock_holder;  // another runner holding the migration lock
    std::vector<std::string> blockers;       // sessions that would block the run's tables
    bool backup_required = false;            // a pre-deploy backup would be taken
    int64_t backup_estimated_bytes = 0;      // table data it would copy (upper bound)
    std::string backup_directory;            // the catalog it would go to
    core::FailurePolicy on_failure = core::FailurePolicy::rollback;
    size_t pending = 0;                                 // migrations the run would apply
    std::vector<std::string> held;                      // pending migrations left for a later phase
    std::optional<PolicyOverridden> policy_overridden;  // the run would override the policy
    std::vector<std::string> checks;  // the checks it would run after its last migration
};

class Reporter {
  public:
    virtual ~Reporter() = default;
    // Connected: the target's display name and where its address came from.
    virtual void target(const std::string& display, core::TargetSource source) = 0;
    // The policy gate blocks the run (it stops with exit 4 next, nothing
    // applied): the plan of the steps with its findings and verdict.
    virtual void policy_blocked(const planner::Plan& plan) = 0;
    // The policy gate blocked the plan and --override-policy goes past it.
    virtual void policy_overridden(const planner::Plan& plan, const PolicyOverridden& what) = 0;
    // The pre-deploy backup was taken and verified.
    virtual void backup_verified(const backup::Manifest& manifest) = 0;
    // A migration is about to run / has been applied.
    virtual void applying(const std::string& id, bool transactional) = 0;
    virtual void applied(const std::string& id, std::chrono::milliseconds took) = 0;
    // The end of a run that succeeded, or of a dry run.
    virtual void finished(const Result& result) = 0;
    virtual void dry_run(const DryRunReport& report) = 0;
};

}  // namespace sm::deploy
