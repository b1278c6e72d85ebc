#pragma once
// The plan: what execute will do to a target, for a person to review.
//
// Pending migrations in order; per statement the predicted lock and the tables
// it touches; each table's current size (so a rewrite of an empty table reads
// as harmless and one of a 40 GB table as an outage); the transaction grouping;
// lint findings; and a verdict under the policy. Written as a JSON artifact
// with a SHA-256 over its content, which execute --plan is held to.
// The planner does no I/O beyond reading files: the caller supplies the
// target's facts.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"
#include "core/target.hpp"
#include "core/trace.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"

namespace sm::planner {

inline constexpr const char* k_plan_format = "safe-migrate-plan/1";

struct PlannedStatement {
    int line = 0;
    std::string kind;
    std::string text;  // first line of the statement
    LockPrediction lock;
};

struct PlannedMigration {
    core::Version version;
    std::string name;
    std::filesystem::path file;
    std::string checksum;
    bool transactional = true;
    std::chrono::milliseconds lock_timeout{0};
    std::chrono::milliseconds statement_timeout{0};
    std::vector<std::string> required;  // requires=, as written
    std::vector<PlannedStatement> statements;
};

// A statement as plan --trace saw it beside what was predicted.
struct TraceEntry {
    core::Version version;
    int line = 0;
    std::string text;
    LockLevel predicted = LockLevel::none;
    bool predicted_rewrite = false;
    bool observed = false;
    LockLevel observed_level = LockLevel::none;
    std::map<std::string, LockLevel> locks;  // pre-existing relation -> observed lock
    std::vector<std::string> rewritten;
    bool stronger = false;  // reality exceeded the prediction
    std::optional<std::string> error;
};

struct Plan {
    core::TargetIdentity target;
    std::optional<core::Version> head;
    std::vector<PlannedMigration> migrations;
    core::ExecuteSettings settings;
    Policy policy;
    LintReport lint;
    std::map<std::string, core::TableSize> tables;  // every table a statement touches
    std::vector<std::string> drift;                 // from PlanInput: each blocks the plan
    std::vector<std::string> blocked_because;       // empty: allowed
    std::optional<std::vector<TraceEntry>> trace;   // with plan --trace
    std::string created_at;
    std::string created_by;

    bool allowed() const { return blocked_because.empty(); }
};

// What the plan needs from the project and the target.
struct PlanInput {
    core::TargetIdentity target;
    std::optional<core::Version> head;
    std::vector<const core::Migration*> pending;  // in order
    const std::map<core::Version, core::Script>* scripts = nullptr;
    core::ExecuteSettings settings;
    Policy policy;
    std::vector<std::string> drift;  // changed/missing migrations: a plan over drift is blocked
    // Down files that do not parse, by version (planner/project.hpp): a pending
    // migration's is a broken-down-migration finding on its down file.
    const std::map<core::Version, std::vector<core::SourceProblem>>* broken_down = nullptr;
};

// Lints the pending migrations with the policy (its pg_version set from the
// target) as one run, in the transaction mode execute will use for each: a
// finding about tables that an earlier migration of the run creates is dropped
// (they do not exist yet and are empty). Assembles the plan, without table sizes.
Plan build_plan(const PlanInput& input);

// Sets the sizes of the tables the plan touches (touched_tables), as read from
// the target, and weighs the findings by them: an error of a size-dependent
// rule (rule_catalog.hpp) whose statement touches only existing tables smaller
// than the policy's small_table_bytes becomes a warning that says so. The
// verdict is decided again.
void attach_table_sizes(Plan& plan, std::map<std::string, core::TableSize> tables);

// Puts what plan --trace observed beside the predictions. A statement that
// failed on the copy blocks the plan: it would fail in production too.
void attach_trace(Plan& plan, const std::vector<core::TracedStatement>& traced);

// Every table the plan's statements touch.
std::vector<std::string> touched_tables(const Plan& plan);

// The artifact: canonical JSON with "hash" = SHA-256 over everything else. It
// records the policy's name and policy_hash, which execute --plan checks.
std::string plan_to_json(const Plan& plan);

// The plan for a person: per migration and statement, locks, tables and sizes,
// findings, and the verdict.
std::string render_plan_text(const Plan& plan);

// What execute compares with an artifact.
struct PlanCheck {
    core::TargetIdentity target;
    std::optional<core::Version> head;
    std::vector<const core::Migration*> pending;
    core::ExecuteSettings settings;
    Policy policy;  // the policy the run is under now (execute --policy, or the default)
    std::map<core::Version, std::string> applied;  // applied version -> its recorded checksum
};

struct ArtifactMigration {
    core::Version version;
    std::string name;
    std::string checksum;
};

struct PlanArtifact {
    std::vector<ArtifactMigration> migrations;
    // The run's settings (PlanCheck::settings) with what the plan records laid
    // over them: timeouts, retries and the lock wait. The rest stays the run's.
    core::ExecuteSettings settings;
    bool allowed = false;
    // The target is exactly at the plan's end state: the same system and
    // database, every planned migration applied with the planned checksum, and
    // the head at the last planned version (a pipeline retrying a run that
    // succeeded). Nothing else was checked: there is nothing to apply.
    bool already_applied = false;
};

// Parses and checks an artifact against the current files and target. Throws
// sm::Error: invalid_input when the file is not a plan or its hash does not
// match (edited after it was written). A plan the target is already at the end
// of returns with already_applied set, checking nothing more. Otherwise policy when the plan was
// blocked; drift when the files, the head, the target, the settings or the policy (its name or its
// policy_hash; an artifact that records none) differ, listing every difference.
PlanArtifact check_plan_artifact(const std::string& text, const std::string& file,
                                 const PlanCheck& now);

}  // namespace sm::planner
