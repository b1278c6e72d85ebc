#pragma once
// The locks a statement takes, predicted from its parse tree (PostgreSQL 15
// semantics, the "Lock levels" table of lint-rules.md). The lint driver computes
// it once per statement and hands it to the rules (rule_api.hpp); plan shows it;
// plan --trace compares it with what PostgreSQL actually took.

#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/parse_helpers.hpp"

namespace sm::planner {

// The strongest lock a statement takes on one relation.
struct RelationLock {
    std::string relation;  // "public.orders"; an index's name for DROP INDEX / REINDEX INDEX
    LockLevel level = LockLevel::none;
    std::string note;        // why this relation, e.g. "referenced by a new foreign key"
    bool exemptable = true;  // false for an index: its table is not named in the statement
};

struct LockPrediction {
    // The strongest lock taken, on a relation or on another object (DROP FUNCTION
    // takes ACCESS EXCLUSIVE on the function).
    LockLevel level = LockLevel::none;
    std::vector<RelationLock> relations;  // statement order, one entry per relation
    bool rewrites = false;                // the table (and its indexes) are rewritten
    bool scans = false;                   // the table is scanned in full under the lock
    bool is_ddl = false;  // changes the schema (not DML, SELECT, SET, transaction control)
    std::string summary;  // "ALTER TABLE public.orders", for messages; may be empty

    // The relations' names, in order.
    std::vector<std::string> tables() const;
};

// kind and body are a statement's key and object in libpg_query's tree;
// pg_version is the target's server_version_num (ALTER INDEX RENAME takes
// SHARE UPDATE EXCLUSIVE from PostgreSQL 12).
LockPrediction predict_lock(const std::string& kind, const ParseTree& body,
                            int pg_version = 150000);

// LockStmt.mode (1 ACCESS SHARE ... 8 ACCESS EXCLUSIVE) as a lock level;
// ACCESS EXCLUSIVE for anything else, as LOCK TABLE without a mode.
LockLevel lock_mode_number(int mode);

}  // namespace sm::planner
