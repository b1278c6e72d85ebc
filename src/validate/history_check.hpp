#pragma once
// The history half of validate: which migrations the target's history and the
// files disagree on, and which migrations built the schema the target should
// have. Pure functions of a StatusReport; no database.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "executor/status.hpp"

namespace sm::validate {

struct HistoryProblem {
    core::Version version;
    std::string name;
    std::string state;    // changed, missing, partial, out-of-order (status's names)
    std::string message;  // "migration 2_b: file changed after it was applied"
};

// Every entry that is changed, missing, partial (failed or interrupted
// no-transaction migration) or out-of-order, in version order. Applied and
// pending migrations are not problems.
std::vector<HistoryProblem> history_problems(const executor::StatusReport& report);

// One migration of the expected schema: the first statements of its up file
// (all of them unless it is partial).
struct AppliedStep {
    core::Version version;
    std::string id;                 // "20260101090000_create_users"
    std::optional<int> statements;  // partial: only this many statements ran
};

// The migrations whose effects the target holds, in version order: applied
// and changed ones whole, partial ones up to their last completed statement.
// Missing ones have no file and are left out (history_problems reports them).
std::vector<AppliedStep> applied_steps(const executor::StatusReport& report,
                                       const std::vector<db::PartialMigration>& partial);

}  // namespace sm::validate
