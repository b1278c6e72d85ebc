#pragma once
// The lock a statement takes, predicted from its parse tree (PostgreSQL 15
// semantics, the "Lock levels" table of lint-rules.md). plan shows it; plan
// --trace compares it with what PostgreSQL actually took.

#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/parse_helpers.hpp"

namespace sm::planner {

struct LockPrediction {
    LockLevel level = LockLevel::none;  // the strongest lock on a pre-existing relation
    std::vector<std::string> tables;    // "public.orders", in statement order, no duplicates
    bool rewrites = false;              // the table (and its indexes) are rewritten
    bool scans = false;                 // the table is scanned in full under the lock
    bool is_ddl = false;  // changes the schema (not DML, SELECT, SET, transaction control)
};

// kind and body are a statement's key and object in libpg_query's tree.
LockPrediction predict_lock(const std::string& kind, const json& body);

// The lock level of a PostgreSQL LOCKMODE number, as LockStmt.mode gives it
// (1 ACCESS SHARE ... 8 ACCESS EXCLUSIVE); ACCESS EXCLUSIVE for any other number,
// as for LOCK TABLE without a mode.
LockLevel lock_mode_number(int mode);

}  // namespace sm::planner
