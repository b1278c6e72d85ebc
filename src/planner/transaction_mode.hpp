#pragma once
// How a migration runs: inside one transaction, or statement by statement.
//
// One decision for lint, plan, dry run and execute: a file runs outside a
// transaction when it says `-- safe-migrate: no-transaction`, or when it holds a
// statement PostgreSQL refuses inside a transaction block. The script builder
// (what execute runs) and the linter (what lint and plan check) both ask here.

#include <string>

#include "planner/parse_tree.hpp"

namespace sm::planner {

// Why PostgreSQL refuses this statement inside a transaction block ("CREATE
// INDEX CONCURRENTLY", "VACUUM", ...), or an empty string when it does not.
// kind is the statement's node name ("IndexStmt"), body its value.
std::string needs_no_transaction(const std::string& kind, const ParseTree& body);

}  // namespace sm::planner
