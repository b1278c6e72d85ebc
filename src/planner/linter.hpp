#pragma once
// The lint driver: files in plan order -> findings under a policy.
//
// Each file is streamed statement by statement (flat memory), parsed with
// libpg_query, and checked by every rule family with the state of the file and
// its transaction, in the transaction mode execute will use (transaction_mode.hpp).
// A finding about tables created earlier in the same file is dropped (they do not
// exist yet and are empty); lint knows nothing else about the target, so every
// other table may exist and be large. plan, which knows the run, passes the
// tables created by earlier files of the run too. No database is needed.

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/migration_source.hpp"
#include "planner/created_twice.hpp"
#include "planner/lint_types.hpp"
#include "planner/lock_model.hpp"
#include "planner/policy.hpp"
#include "planner/rule_api.hpp"

namespace sm::planner {

// What lint reads: a file's bytes, streamed; or, for a part of a file in
// another tool's layout (a dbmate up section, core/layout.hpp), the text to
// read in its place, whose lines are numbered as in the file.
struct LintInput {
    std::filesystem::path file;
    std::optional<std::string> text;  // std::nullopt: the file's bytes
    bool no_transaction = false;      // the tool's marker (or a directive) says so
    bool runner_file = false;         // a migration whatever its name (a layout's part)

    LintInput(std::filesystem::path path)  // NOLINT(google-explicit-constructor): a file is one
        : file(std::move(path)) {}
    // A migration as the project loaded it (its text, and its no-transaction mark).
    explicit LintInput(const core::MigrationFile& migration);
};

// What plan wants to know about each statement (see planner/plan.hpp).
struct StatementInfo {
    std::filesystem::path file;
    int line = 0;
    std::string sql;
    std::string kind;  // "AlterTableStmt"; empty for a syntax error
    LockPrediction lock;
    bool in_transaction = true;
};

struct FileReport {
    std::filesystem::path file;
    long long statements = 0;
    bool no_transaction = false;            // runs statement by statement (directive, or detected)
    std::vector<Finding> findings;          // in statement order, suppressed ones included
    std::vector<Suppression> suppressions;  // every suppression written in the file
    RunFacts facts;  // what the run has established once this file ran (earlier files' too)
    std::vector<CreatedObject> created_objects;  // in statement order
    std::vector<std::string> required;           // requires=, as written
    std::vector<std::string> index_keys;  // index_key() of every prefix of every CREATE INDEX
};

struct LintReport {
    std::vector<FileReport> files;  // in the order given
    long long statements = 0;
    int errors = 0;    // unsuppressed findings of severity error (syntax errors included)
    int warnings = 0;  // unsuppressed warnings
    int suppressed = 0;
    int syntax_errors = 0;  // statements that do not parse, and malformed directives
};

// Expands directories to the .sql files directly in them (migration files in
// version order, others by name), keeps files as given. Down migrations in a
// directory are skipped unless include_down: they are the undo path, destructive
// by design, and never part of a plan. Throws sm::Error (invalid_input) naming the
// path for a path that does not exist and for a directory with nothing to lint.
std::vector<std::filesystem::path> expand_inputs(const std::vector<std::filesystem::path>& inputs,
                                                 bool include_down = false);

// Lints one file (or its part). observer, when set, sees every statement in order.
// run: what the earlier migrations of the same run established (plan and
// execute; lint passes nothing): findings about tables they created are dropped
// like those about tables created earlier in the file, and a CHECK (col IS NOT
// NULL) they validated lets SET NOT NULL skip its scan.
FileReport lint_file(const LintInput& input, const Policy& policy,
                     const std::function<void(const StatementInfo&)>& observer = {},
                     const RunFacts& run = {});
// The same, taking run's facts over (no copy): the report's facts are run's
// after this file, for the next one.
FileReport lint_file(const LintInput& input, const Policy& policy,
                     const std::function<void(const StatementInfo&)>& observer, RunFacts&& run);

// Lints files in order with up to jobs threads (0: one per core), holding every
// finding (tests, and callers that need the reports); the lint command streams
// its output instead (lint_to, lint_stream.hpp).
LintReport lint_files(const std::vector<LintInput>& files, const Policy& policy, int jobs = 0);

// Drops fk-missing-index findings that an index elsewhere in the files serves,
// and counts. lint_files calls it; plan calls it on reports it built itself.
LintReport summarize(std::vector<FileReport> files);

}  // namespace sm::planner
