#include "planner/rule_catalog.hpp"

#include <algorithm>

namespace sm::planner {
namespace {

using L = LockLevel;
constexpr Severity k_error = Severity::error;
constexpr Severity k_warning = Severity::warning;

}  // namespace

const std::vector<RuleInfo>& rule_catalog() {
    static const std::vector<RuleInfo> rules = {
        {"ban-drop-database", k_error, "DROP DATABASE in a migration", L::access_exclusive,
         "the whole database", "-", "never drop a database from a migration"},
        {"ban-drop-schema", k_error, "DROP SCHEMA (CASCADE reaches everything in it)",
         L::access_exclusive, "ACCESS EXCLUSIVE on everything in the schema", "-",
         "back up; prove the schema is empty first"},
        {"ban-drop-table", k_error, "DROP TABLE destroys data", L::access_exclusive,
         "ACCESS EXCLUSIVE, also on tables whose foreign keys point at it", "-",
         "stop the application using it, back up, drop in a later release"},
        {"ban-drop-column", k_error, "DROP COLUMN breaks code that still reads it",
         L::access_exclusive, "ACCESS EXCLUSIVE, brief", "none",
         "make the application ignore the column first, drop it in a later release"},
        {"ban-truncate", k_error, "TRUNCATE destroys data", L::access_exclusive,
         "ACCESS EXCLUSIVE on every table reached (CASCADE reaches further)", "-",
         "name the tables; delete in batches"},
        {"ban-delete-or-update-without-where", k_error,
         "DELETE or UPDATE without WHERE deletes or overwrites every row (data loss)",
         L::row_exclusive, "ROW EXCLUSIVE + a row lock on every row until commit", "full table",
         "a WHERE that names the rows; a backfill in batches on a key range, each in its own "
         "transaction"},
        {"ban-unbatched-dml", k_warning,
         "a backfill (UPDATE, DELETE, INSERT ... SELECT) in a transaction with DDL",
         L::row_exclusive,
         "ROW EXCLUSIVE + row locks; an earlier ACCESS EXCLUSIVE in the transaction stays held",
         "full table", "backfill in batches, each in its own transaction"},
        {"renaming-column", k_error, "RENAME COLUMN breaks running code", L::access_exclusive,
         "ACCESS EXCLUSIVE, brief", "none",
         "expand/contract: add the new column, dual-write, backfill, switch readers, drop the old"},
        {"renaming-table", k_error, "RENAME TO breaks running code", L::access_exclusive,
         "ACCESS EXCLUSIVE, brief", "none", "expand/contract, or leave a view with the old name"},
        {"ban-drop-not-null", k_warning, "DROP NOT NULL: old code may rely on it",
         L::access_exclusive, "ACCESS EXCLUSIVE, brief", "none",
         "usually fine; check that readers handle NULL"},
        {"ban-drop-foreign-key", k_warning, "dropping a foreign key removes an integrity guarantee",
         L::access_exclusive, "ACCESS EXCLUSIVE", "none",
         "confirm integrity is kept some other way"},
        {"adding-required-field", k_error, "ADD COLUMN ... NOT NULL without a DEFAULT",
         L::access_exclusive, "ACCESS EXCLUSIVE", "fails on a non-empty table",
         "add it nullable, or with a constant default"},
        {"adding-field-with-volatile-default", k_error,
         "ADD COLUMN with a volatile DEFAULT rewrites the table", L::access_exclusive,
         "ACCESS EXCLUSIVE for the whole rewrite", "rewrites the table and its indexes",
         "add it nullable, SET DEFAULT, then backfill in batches"},
        {"adding-stored-generated-column", k_error,
         "ADD COLUMN ... GENERATED ALWAYS AS ... STORED rewrites the table", L::access_exclusive,
         "ACCESS EXCLUSIVE for the whole rewrite", "rewrite",
         "a plain column kept by a trigger, backfilled in batches"},
        {"adding-serial-or-identity-column", k_error,
         "ADD COLUMN serial/identity rewrites the table", L::access_exclusive,
         "ACCESS EXCLUSIVE for the whole rewrite", "rewrite",
         "a new nullable column with a sequence default, backfilled in batches"},
        {"changing-column-type", k_error,
         "ALTER COLUMN ... TYPE rewrites the table and its indexes", L::access_exclusive,
         "ACCESS EXCLUSIVE for the whole rewrite",
         "rewrite + rebuild of its indexes, unless binary coercible",
         "expand/contract through a new column"},
        {"set-not-null", k_error, "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
         L::access_exclusive, "ACCESS EXCLUSIVE during a full scan", "full scan",
         "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID; VALIDATE later; then SET NOT NULL "
         "(no scan "
         "from PG 12); drop the CHECK"},
        {"constraint-missing-not-valid", k_error,
         "ADD CONSTRAINT ... CHECK without NOT VALID scans the table", L::access_exclusive,
         "ACCESS EXCLUSIVE during a full scan", "full scan",
         "add it NOT VALID, VALIDATE CONSTRAINT in a later migration (takes SHARE UPDATE EXCLUSIVE "
         "only)"},
        {"adding-foreign-key-constraint", k_error,
         "ADD FOREIGN KEY without NOT VALID scans the table", L::share_row_exclusive,
         "SHARE ROW EXCLUSIVE on both tables during a full scan", "full scan",
         "add it NOT VALID, VALIDATE CONSTRAINT in a later migration"},
        {"validate-in-same-transaction", k_error,
         "VALIDATE CONSTRAINT in the transaction that added it or holds a strong lock",
         L::share_update_exclusive,
         "SHARE UPDATE EXCLUSIVE for the scan, while the transaction's earlier ACCESS EXCLUSIVE "
         "or SHARE ROW EXCLUSIVE lock stays held through it",
         "scan", "validate in a separate migration"},
        {"adding-unique-constraint", k_error, "ADD UNIQUE builds an index under ACCESS EXCLUSIVE",
         L::access_exclusive, "ACCESS EXCLUSIVE while the index builds",
         "index build; fails on duplicates",
         "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"},
        {"adding-primary-key", k_error,
         "ADD PRIMARY KEY builds an index and scans for NULLs under ACCESS EXCLUSIVE",
         L::access_exclusive, "ACCESS EXCLUSIVE", "index build + NOT NULL scan",
         "unique index CONCURRENTLY, safe NOT NULL, then ADD PRIMARY KEY USING INDEX"},
        {"adding-exclusion-constraint", k_error,
         "ADD EXCLUDE builds an index under ACCESS EXCLUSIVE", L::access_exclusive,
         "ACCESS EXCLUSIVE", "index build",
         "no online path (NOT VALID is not accepted for EXCLUDE); schedule downtime"},
        {"require-concurrent-index-creation", k_error,
         "CREATE INDEX without CONCURRENTLY blocks writes", L::share,
         "SHARE: blocks all writes while the index builds", "index build",
         "CREATE INDEX CONCURRENTLY in a no-transaction migration; check pg_index.indisvalid "
         "afterwards"},
        {"require-concurrent-index-deletion", k_warning, "DROP INDEX without CONCURRENTLY",
         L::access_exclusive, "ACCESS EXCLUSIVE on the table", "-",
         "DROP INDEX CONCURRENTLY in a no-transaction migration"},
        {"require-concurrent-reindex", k_warning, "REINDEX without CONCURRENTLY", L::share,
         "SHARE on the table + ACCESS EXCLUSIVE on the index (stalls queries that would use it)",
         "rebuild", "REINDEX CONCURRENTLY (PostgreSQL 12+)"},
        {"concurrent-in-transaction", k_error,
         "a CONCURRENTLY statement where a transaction block is expected",
         L::share_update_exclusive, "fails at run time inside a transaction block", "-",
         "a migration of its own, marked -- safe-migrate: no-transaction"},
        {"require-concurrent-partition-detach", k_warning, "DETACH PARTITION without CONCURRENTLY",
         L::access_exclusive, "ACCESS EXCLUSIVE on the parent and the partition", "-",
         "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+, no transaction, no default "
         "partition)"},
        {"attach-partition-without-check", k_warning, "ATTACH PARTITION scans the partition",
         L::share_update_exclusive,
         "SHARE UPDATE EXCLUSIVE on the parent; ACCESS EXCLUSIVE on the partition and the default "
         "partition",
         "scan of the partition",
         "add a matching validated CHECK constraint first so the scan is skipped"},
        {"table-rewrite-maintenance", k_error,
         "VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, SET TABLESPACE rewrite the table",
         L::access_exclusive, "ACCESS EXCLUSIVE for the whole rewrite", "rewrite",
         "pg_repack-style tools outside the migration"},
        {"refresh-matview-concurrently", k_warning,
         "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads", L::access_exclusive,
         "ACCESS EXCLUSIVE (reads blocked)", "rebuild",
         "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index; takes EXCLUSIVE)"},
        {"explicit-lock-or-trigger-ddl", k_warning, "LOCK TABLE or trigger DDL takes a strong lock",
         L::share_row_exclusive, "held until the transaction ends", "-",
         "SET lock_timeout in the file and make the trigger DDL the only strong lock of its "
         "transaction (then it is not flagged)"},
        {"require-lock-timeout", k_error, "a strong lock with no lock_timeout in force", L::none,
         "a waiting request blocks all later traffic on the table", "-",
         "run through safe-migrate (it sets lock_timeout), or SET lock_timeout first"},
        {"require-statement-timeout", k_warning, "long-running work with no statement_timeout",
         L::none, "-", "-",
         "run through safe-migrate (it sets statement_timeout), or SET statement_timeout first"},
        {"statement-after-access-exclusive", k_warning,
         "statements after an ACCESS EXCLUSIVE lock in the same transaction", L::access_exclusive,
         "ACCESS EXCLUSIVE held until commit", "-", "split into separate migrations"},
        {"multiple-tables-access-exclusive", k_warning,
         "ACCESS EXCLUSIVE on several existing tables in one transaction", L::access_exclusive,
         "ACCESS EXCLUSIVE on each, all held until commit (deadlock risk)", "-",
         "one table per migration, each under lock_timeout; tables that must change together "
         "locked in one consistent order"},
        {"multiple-alter-same-table", k_warning,
         "several ALTER TABLE statements on one table in one transaction", L::access_exclusive,
         "repeated ACCESS EXCLUSIVE, repeated scans", "-",
         "one ALTER TABLE with several subcommands"},
        {"transaction-hygiene", k_error,
         "BEGIN/COMMIT/ROLLBACK in a migration the runner wraps in a transaction", L::none, "-",
         "-", "let the runner own the transaction"},
        {"fk-missing-index", k_warning, "a foreign key whose referencing columns have no index",
         L::none, "DELETE/UPDATE on the parent scans the child", "-",
         "CREATE INDEX CONCURRENTLY on the referencing columns"},
        {"concurrent-index-if-not-exists", k_warning,
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS run by another runner keeps an INVALID index "
         "on retry",
         L::share_update_exclusive, "reads and writes go on during the build", "index build",
         "drop an INVALID leftover (DROP INDEX CONCURRENTLY IF EXISTS) before the build and check "
         "pg_index.indisvalid after it, or run the file through safe-migrate, which does both"},
        {"enum-add-value-in-transaction", k_error,
         "ALTER TYPE ... ADD VALUE in a transaction block fails before PostgreSQL 12", L::none, "-",
         "fails at run time", "a migration of its own marked -- safe-migrate: no-transaction"},
        {"enum-value-used-in-same-transaction", k_error,
         "an enum value used in the transaction that added it (\"unsafe use of new value\")",
         L::none, "-", "fails at run time",
         "add the value in a migration of its own, use it in a later migration"},
        {"ban-drop-primary-key", k_error,
         "dropping a primary key breaks logical replication and CDC", L::access_exclusive,
         "ACCESS EXCLUSIVE, brief", "none",
         "keep the key; to replace it, build the new unique index CONCURRENTLY, move every "
         "subscriber and CDC consumer to it, then swap in one ALTER TABLE (DROP CONSTRAINT, ADD "
         "PRIMARY KEY USING INDEX)"},
        {"replica-identity-change", k_warning,
         "REPLICA IDENTITY changes what logical replication and CDC receive", L::access_exclusive,
         "ACCESS EXCLUSIVE, brief", "none",
         "coordinate with every publication and CDC consumer of the table first"},
        {"ban-disable-triggers", k_error,
         "DISABLE TRIGGER ALL/USER or session_replication_role = replica: foreign keys or "
         "triggers stop being enforced",
         L::share_row_exclusive, "SHARE ROW EXCLUSIVE until the transaction ends",
         "rows written meanwhile are never checked",
         "keep triggers on and write in batches; for a bulk load, load a new table and add its "
         "foreign keys NOT VALID, then VALIDATE"},
        {"prefer-robust-stmts", k_warning, "non-idempotent DDL in a no-transaction migration",
         L::none, "-", "-",
         "IF [NOT] EXISTS, so a retry after a partial failure works (and check indisvalid)"},
        {"object-created-twice", k_error,
         "one table, view or index created by two statements of the files or the run", L::none, "-",
         "-",
         "create it once; change it later with ALTER (IF NOT EXISTS would keep the first "
         "definition silently)"},
        {"broken-down-migration", k_warning,
         "a pending migration's down file does not parse: rolling it back will fail", L::none, "-",
         "-",
         "fix the down file before it is needed; until then a failed run is undone from the "
         "pre-deploy backup"},
    };
    return rules;
}

namespace {

bool listed(const std::vector<std::string_view>& ids, std::string_view id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

bool exempt_on_new_tables(std::string_view id) {
    static const std::vector<std::string_view> k_how_a_file_runs = {
        "transaction-hygiene",
        "concurrent-in-transaction",
        "object-created-twice",
        "fk-missing-index",  // the new child table grows; the parent's deletes will scan it
        // A new enum value is unusable until its transaction commits, whatever the table.
        "enum-add-value-in-transaction",
        "enum-value-used-in-same-transaction",
    };
    return !listed(k_how_a_file_runs, id);
}

bool size_dependent(std::string_view id) {
    static const std::vector<std::string_view> k_lock_and_rewrite = {
        "adding-field-with-volatile-default",
        "adding-stored-generated-column",
        "adding-serial-or-identity-column",
        "changing-column-type",
        "set-not-null",
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
        "validate-in-same-transaction",
        "adding-unique-constraint",
        "adding-primary-key",
        "adding-exclusion-constraint",
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "require-concurrent-reindex",
        "require-concurrent-partition-detach",
        "attach-partition-without-check",
        "table-rewrite-maintenance",
        "refresh-matview-concurrently",
        "statement-after-access-exclusive",
        "multiple-alter-same-table",
        "multiple-tables-access-exclusive",
    };
    return listed(k_lock_and_rewrite, id);
}

const RuleInfo* find_rule(std::string_view id) {
    for (const auto& rule : rule_catalog()) {
        if (id == rule.id) {
            return &rule;
        }
    }
    return nullptr;
}

}  // namespace sm::planner
