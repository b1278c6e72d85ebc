#pragma once
// A migration file ready to run: its statements, how they run, and its limits.
// The planner builds it from a MigrationFile; the executor runs it.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::core {

struct Statement {
    std::string sql;  // the statement's text, without a trailing semicolon
    int line = 0;     // where it starts in the file (1-based), after leading comments
    int column = 0;
    // Why it cannot run inside a transaction block ("CREATE INDEX CONCURRENTLY"),
    // or empty when it can.
    std::string needs_no_transaction;
    bool transaction_control = false;  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT...
    // For CREATE INDEX CONCURRENTLY: the index it builds, so a leftover INVALID
    // index can be found and dropped before a retry. Schema is empty when the
    // statement did not name one (the search path decides).
    std::optional<std::string> concurrent_index;
    std::string concurrent_index_schema;
    // The relations it locks ("public.orders"; the schema defaults to public),
    // as the planner predicts them: what preflight checks for blockers.
    std::vector<std::string> tables;
    // For a plain INSERT (not one inside a WITH): the table it fills
    // ("public.users"; the schema defaults to public), else empty.
    std::string insert_target;
};

// A phase=backfill migration's one statement (UPDATE ... [WHERE ...] or
// INSERT ... SELECT ... FROM one table [WHERE ...]), split where the runner
// adds each batch's key range (planner/backfill_statement.hpp):
//   before + "(" + condition + ") AND " + range + after   with a condition,
//   before + " WHERE " + range + after                     without one.
struct BackfillStatement {
    std::string kind;    // "UPDATE", "DELETE" or "INSERT ... SELECT"
    std::string schema;  // of the table whose primary key splits the work ("public" by default)
    std::string table;
    std::string key_qualifier;  // how the statement names that table (its alias), as SQL
    std::string before;
    std::string condition;  // the statement's own WHERE condition, "" when it has none
    std::string after;      // text after the condition (" ON CONFLICT ..."), or ""
};

struct Script {
    std::filesystem::path file;
    std::string checksum;
    bool transactional = true;  // false: run statement by statement, autocommit
    std::optional<std::chrono::milliseconds> lock_timeout;       // from directives
    std::optional<std::chrono::milliseconds> statement_timeout;  // from directives
    std::vector<Statement> statements;
    // Set for a phase=backfill migration: its statement, ready to split.
    std::optional<BackfillStatement> backfill;

    // Every relation its statements lock, each once, in order of appearance.
    std::vector<std::string> tables() const;
};

}  // namespace sm::core
