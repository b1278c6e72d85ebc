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
};

struct Script {
    std::filesystem::path file;
    std::string checksum;
    bool transactional = true;  // false: run statement by statement, autocommit
    std::optional<std::chrono::milliseconds> lock_timeout;       // from directives
    std::optional<std::chrono::milliseconds> statement_timeout;  // from directives
    std::vector<Statement> statements;

    // Every relation its statements lock, each once, in order of appearance.
    std::vector<std::string> tables() const;
};

}  // namespace sm::core
