#pragma once
// The interface between the lint driver and the rules.
//
// The driver parses each statement, hands it to every rule family with the
// state of the file and the current transaction, and updates that state
// afterwards (lint_state.hpp). A rule family looks at one statement and calls
// Emitter::emit for each problem; it never does I/O. Severity, suppressions and
// "created earlier in the plan" exemptions are the driver's business.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/lock_model.hpp"

namespace sm::planner {

struct Policy;

// One parsed statement. node is libpg_query's statement object, e.g.
// {"AlterTableStmt": {...}}; kind is its key and body its value. lock is the
// lock model's prediction for it (lock_model.hpp), computed once by the driver.
struct StatementRef {
    const ParseTree& body;
    const std::string& kind;
    const std::string& sql;
    int line = 0;
    int column = 0;
    const LockPrediction& lock;
    // The text body's "location" values are byte offsets in: sql itself, or the
    // whole file when the file was parsed at once (statement_stream.hpp).
    const std::string& tree_text;
};

// What is true inside the current transaction.
struct TransactionState {
    std::optional<std::string> access_exclusive_by;  // "ALTER TABLE at line 3" when one was taken
    std::set<std::string> strong_locked;             // tables under AE/SRE/SHR in this transaction
    std::set<std::string> not_valid_added;           // "public.orders.orders_total_check"
    std::map<std::string, int> alter_count;          // table -> ALTER TABLE statements so far
    // Existing tables (not created earlier in this file) under ACCESS EXCLUSIVE.
    std::set<std::string> access_exclusive_tables;
    // Enum labels added by ALTER TYPE ... ADD VALUE in this transaction:
    // label -> "public.status (line 3)".
    std::map<std::string, std::string> enum_values_added;
    bool has_ddl = false;
    int statements = 0;
};

// What the statements so far have established about the schema. A file starts
// from nothing under lint (no database: anything it did not see may exist and be
// large), and from what the earlier migrations of the run left under plan and
// execute, which lint a run in order.
// Read the sets directly; change them only through the methods, which can be
// undone back to the last mark() (a file linted again in another mode starts
// from the facts before it, without a copy of the whole run's).
struct RunFacts {
    std::set<std::string> created_tables;  // created earlier (in this file, or run)
    // Constraints added as PRIMARY KEY: "public.orders.orders_id_key".
    std::set<std::string> primary_keys;
    // CHECK (col IS NOT NULL) constraints added: "public.orders.c" -> "col".
    std::map<std::string, std::string> not_null_checks;
    // Columns a validated CHECK (col IS NOT NULL) covers: "public.orders.col".
    std::set<std::string> validated_not_null;

    void add_created_table(const std::string& table);
    void add_primary_key(const std::string& key);
    void set_not_null_check(const std::string& key, const std::string& column);
    void add_validated_not_null(const std::string& column);
    void drop_validated_not_null(const std::string& column);
    // Forgets the changes made so far (they stay): undo() goes back to here.
    void mark() { m_undo.clear(); }
    // Undoes every change since the last mark(), newest first.
    void undo();

  private:
    std::vector<std::function<void(RunFacts&)>> m_undo;
};

struct FileState : RunFacts {
    std::filesystem::path file;
    const Policy* policy = nullptr;
    int pg_version = 150000;  // the target's server_version_num
    // A native migration file run by safe-migrate, which sets lock_timeout and
    // statement_timeout itself; plain SQL files get no such help.
    bool runner_file = true;
    // The file runs statement by statement: by its directive, or because it holds a
    // statement PostgreSQL refuses in a transaction (transaction_mode.hpp).
    bool no_transaction = false;
    bool in_explicit_block = false;  // between BEGIN and COMMIT written in the file
    // A phase=backfill migration: the runner splits its statement into key-range
    // batches, each its own short transaction, so it is batched by construction.
    bool backfill = false;
    TransactionState tx;
    std::optional<long long> lock_timeout_ms;  // from a directive or SET lock_timeout
    std::optional<long long> statement_timeout_ms;
    // The largest lock_timeout a file may set (policy threshold max_lock_timeout).
    long long max_lock_timeout_ms = 10000;

    // True when the current statement runs inside a transaction block.
    bool in_transaction() const { return !no_transaction || in_explicit_block; }
};

struct EmitExtras {
    std::string rewrite;              // a concrete safer statement
    std::vector<std::string> tables;  // tables involved ("public.orders")
    // The finding is dropped when this table was created earlier in the same
    // plan (new tables are empty: indexing or constraining them is harmless).
    std::string exempt_if_new;
    // For fk-missing-index: index_key(table, columns). The finding is dropped when
    // the plan creates an index whose leading columns are exactly these.
    std::string satisfied_by_index = {};
    // The lock of this statement when it differs from the catalog's (a rule that
    // covers statements taking different locks); std::nullopt: the catalog's.
    std::optional<LockLevel> lock = std::nullopt;
};

// "public.orders|user_id" (columns sorted): what an index leading with these
// columns provides, and what a foreign key on them needs.
std::string index_key(const std::string& table, std::vector<std::string> columns);

class Emitter {
  public:
    virtual ~Emitter() = default;
    // rule must be a catalog id; message is one specific line.
    virtual void emit(const char* rule, std::string message, const EmitExtras& extras = {}) = 0;
};

// The rule families, one file each under planner/rules/.
void check_destructive(const StatementRef& s, const FileState& f, Emitter& out);
void check_columns(const StatementRef& s, const FileState& f, Emitter& out);
void check_constraints(const StatementRef& s, const FileState& f, Emitter& out);
void check_indexes(const StatementRef& s, const FileState& f, Emitter& out);
void check_maintenance(const StatementRef& s, const FileState& f, Emitter& out);
void check_transactions(const StatementRef& s, const FileState& f, Emitter& out);
void check_integrity(const StatementRef& s, const FileState& f, Emitter& out);

}  // namespace sm::planner
