#pragma once
// Turns a migration file into a runnable Script: statements with their
// positions, and the transaction mode decided by the parser, not by a regex.

#include <vector>

#include "core/migration_source.hpp"
#include "core/script.hpp"

namespace sm::planner {

// Builds the script of one file. A syntax error, a file with no statements, or
// transaction control (BEGIN/COMMIT/...) in a file that runs in a transaction
// are appended to problems as file:line:col findings.
//
// A file runs outside a transaction when it says `no-transaction`, or when it
// holds a statement PostgreSQL refuses inside a transaction block (CREATE/DROP
// INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, ALTER SYSTEM, CREATE/DROP
// DATABASE or TABLESPACE, DETACH PARTITION CONCURRENTLY, ...).
core::Script build_script(const core::MigrationFile& file,
                          std::vector<core::SourceProblem>& problems);

}  // namespace sm::planner
