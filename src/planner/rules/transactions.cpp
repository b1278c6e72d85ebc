// Rule family "transactions": timeouts, what a transaction holds, and
// transaction control written in the file.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/lock_model.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"

namespace sm::planner {
namespace {

using L = LockLevel;

// The locks require-lock-timeout is about: SHARE or stronger, whose wait in the
// queue blocks writers (or everyone). REFRESH ... CONCURRENTLY is left out: its
// EXCLUSIVE lock is what refresh-matview-concurrently recommends.
std::vector<const RelationLock*> strong_locks(const StatementRef& s) {
    std::vector<const RelationLock*> out;
    if (s.kind == "RefreshMatViewStmt" && s.body.value("concurrent", false)) {
        return out;
    }
    for (const auto& r : s.lock.relations) {
        if (r.level >= L::share) {
            out.push_back(&r);
        }
    }
    return out;
}

std::string ms_text(long long ms) {
    if (ms != 0 && ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

void check_lock_timeout(const StatementRef& s, const FileState& f, Emitter& out) {
    std::string condition;
    if (f.lock_timeout_ms && *f.lock_timeout_ms == 0) {
        condition = "lock_timeout = 0 (waits forever)";
    } else if (f.lock_timeout_ms && *f.lock_timeout_ms > f.max_lock_timeout_ms) {
        condition = "lock_timeout = " + ms_text(*f.lock_timeout_ms) +
                    ", above the policy maximum of " + ms_text(f.max_lock_timeout_ms);
    } else if (!f.runner_file && !f.lock_timeout_ms) {
        condition =
            "no lock_timeout in force (this file is not run by safe-migrate, which would set one)";
    } else {
        return;
    }
    const std::string& what = s.lock.summary;
    std::vector<const RelationLock*> locks = strong_locks(s);
    if (locks.empty()) {
        return;
    }
    const long long suggest =
        std::min<long long>(5000, f.max_lock_timeout_ms > 0 ? f.max_lock_timeout_ms : 5000);
    EmitExtras x;
    x.rewrite = "SET lock_timeout = '" + ms_text(suggest) + "';\n" + statement_text(s.sql) + ";";
    // One finding per statement. Relations created earlier in this file are
    // nobody else's business; the driver drops the finding when the one that
    // remains was created earlier in the plan.
    std::vector<const RelationLock*> existing;
    for (const RelationLock* l : locks) {
        x.tables.push_back(l->relation);
        if (f.created_tables.count(l->relation) == 0) {
            existing.push_back(l);
        }
    }
    if (existing.empty()) {
        x.exempt_if_new = locks[0]->relation;  // all new: the driver drops it
        existing.push_back(locks[0]);
    } else if (existing.size() == 1 && existing[0]->exemptable) {
        x.exempt_if_new = existing[0]->relation;
    }
    // "ACCESS EXCLUSIVE on a, b and c", "SHARE ROW EXCLUSIVE on a and SHARE ROW EXCLUSIVE on b
    // (...)"
    std::vector<std::pair<L, std::vector<std::string>>> groups;
    for (const RelationLock* l : existing) {
        std::string name = (l->exemptable ? l->relation : "the table of index " + l->relation) +
                           (l->note.empty() ? "" : " (" + l->note + ")");
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& p) { return p.first == l->level; });
        if (g == groups.end()) {
            groups.push_back({l->level, {name}});
        } else {
            g->second.push_back(name);
        }
    }
    auto join = [](const std::vector<std::string>& items) {
        std::string text;
        for (size_t i = 0; i < items.size(); ++i) {
            text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
        }
        return text;
    };
    std::vector<std::string> parts;
    parts.reserve(groups.size());
    for (const auto& [level, names] : groups) {
        parts.push_back(std::string(lock_name(level)) + " on " + join(names));
    }
    const std::string on = join(parts);
    for (const RelationLock* l : existing) {  // the lock line names the strongest one
        x.lock = std::max(x.lock.value_or(L::none), l->level);
    }
    const std::string queue_on = existing.size() > 1       ? std::string("those tables")
                                 : existing[0]->exemptable ? existing[0]->relation
                                                           : std::string("that table");
    out.emit("require-lock-timeout",
             what + " takes " + on + " with " + condition +
                 ": while it waits for the lock, every later query on " + queue_on +
                 " queues behind it",
             x);
}

// The long-running work of an ALTER TABLE on table: its first subcommand that
// scans or rewrites the table, described; "" when none does.
std::string alter_table_long_work(const ParseTree& b, const std::string& table) {
    for (const ParseTree* cmd : alter_commands(b)) {
        const std::string sub = cmd->value("subtype", "");
        const ParseTree& def = member(*cmd, "def");
        if (sub == "AT_ValidateConstraint") {
            return fmt::format("ALTER TABLE {0} VALIDATE CONSTRAINT {1} scans {0}", table,
                               cmd->value("name", ""));
        }
        if (sub == "AT_AlterColumnType") {
            return fmt::format(
                "ALTER TABLE {0} ALTER COLUMN {1} TYPE may rewrite {0} and rebuild its indexes",
                table, cmd->value("name", ""));
        }
        if (sub == "AT_SetNotNull") {
            return fmt::format("ALTER TABLE {0} ALTER COLUMN {1} SET NOT NULL scans {0}", table,
                               cmd->value("name", ""));
        }
        if (sub == "AT_SetLogged" || sub == "AT_SetUnLogged" || sub == "AT_SetTableSpace" ||
            sub == "AT_SetAccessMethod") {
            return fmt::format("ALTER TABLE {0} rewrites {0}", table);
        }
        if (sub == "AT_AddConstraint" && def.contains("Constraint")) {
            const ParseTree& con = def["Constraint"];
            const std::string type = con.value("contype", "");
            const std::string name = con.value("conname", "");
            if ((type == "CONSTR_CHECK" || type == "CONSTR_FOREIGN") &&
                !con.value("skip_validation", false)) {
                return fmt::format("ALTER TABLE {0} ADD CONSTRAINT {1}without NOT VALID scans {0}",
                                   table, name.empty() ? "" : name + " ");
            }
            if ((type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE" ||
                 type == "CONSTR_EXCLUSION") &&
                !con.contains("indexname")) {
                return fmt::format("ALTER TABLE {0} ADD CONSTRAINT {1}builds an index over {0}",
                                   table, name.empty() ? "" : name + " ");
            }
        }
    }
    return "";
}

// Long-running work: a description of it and the table it runs on, or "".
std::string long_work(const StatementRef& s, std::string& table) {
    const ParseTree& b = s.body;
    if (s.kind == "IndexStmt") {
        table = qualified_name(member(b, "relation"));
        return std::string("CREATE ") + (b.value("unique", false) ? "UNIQUE " : "") + "INDEX " +
               (b.value("concurrent", false) ? "CONCURRENTLY " : "") + b.value("idxname", "") +
               " on " + table + " reads the whole table to build the index";
    }
    if (s.kind == "AlterTableStmt") {
        table = qualified_name(member(b, "relation"));
        return alter_table_long_work(b, table);
    }
    if ((s.kind == "UpdateStmt" || s.kind == "DeleteStmt") && !b.contains("whereClause")) {
        table = qualified_name(member(b, "relation"));
        return std::string(s.kind == "UpdateStmt" ? "UPDATE " : "DELETE FROM ") + table +
               " without WHERE touches every row";
    }
    if (s.kind == "VacuumStmt" && b.value("is_vacuumcmd", false)) {
        const bool full = s.lock.rewrites;  // VACUUM FULL rewrites; plain VACUUM reads
        const ParseTree& rels = member_list(b, "rels");
        if (rels.is_array() && rels.size() == 1) {
            table = qualified_name(member(member(rels[0], "VacuumRelation"), "relation"));
            return full ? "VACUUM FULL " + table + " rewrites the whole table"
                        : "VACUUM " + table + " reads the whole table";
        }
        return "VACUUM of several tables reads each of them";
    }
    if (s.kind == "ClusterStmt") {
        if (b.contains("relation")) {
            table = qualified_name(b["relation"]);
            return "CLUSTER " + table + " rewrites the whole table";
        }
        return "CLUSTER rewrites every previously clustered table";
    }
    if (s.kind == "RefreshMatViewStmt") {
        table = qualified_name(member(b, "relation"));
        return "REFRESH MATERIALIZED VIEW " +
               std::string(b.value("concurrent", false) ? "CONCURRENTLY " : "") + table +
               " reruns its query";
    }
    if (s.kind == "ReindexStmt") {
        if (b.contains("relation")) {
            table = qualified_name(b["relation"]);
            return "REINDEX " + table +
                   (b.value("kind", "") == "REINDEX_OBJECT_INDEX" ? " rebuilds the index"
                                                                  : " rebuilds its indexes");
        }
        return "REINDEX of a schema or database rebuilds many indexes";
    }
    return "";
}

void check_statement_timeout(const StatementRef& s, const FileState& f, Emitter& out) {
    std::string condition;
    if (f.statement_timeout_ms && *f.statement_timeout_ms == 0) {
        condition = "statement_timeout = 0 (no limit)";
    } else if (!f.runner_file && !f.statement_timeout_ms) {
        condition =
            "no statement_timeout in force (this file is not run by safe-migrate, which would set "
            "one)";
    } else {
        return;
    }
    std::string table;
    std::string work = long_work(s, table);
    if (work.empty()) {
        return;
    }
    EmitExtras x = table.empty() ? EmitExtras{} : about_table(table);
    x.rewrite = "SET statement_timeout = '1h';  -- an explicit bound you can afford\n" +
                statement_text(s.sql) + ";";
    out.emit("require-statement-timeout", work + " with " + condition, x);
}

void check_after_access_exclusive(const StatementRef& s, const FileState& f, Emitter& out) {
    if (!f.tx.access_exclusive_by || !f.in_transaction()) {
        return;
    }
    if (s.kind == "TransactionStmt" || s.kind == "VariableSetStmt" ||
        s.kind == "VariableShowStmt") {
        return;
    }
    out.emit("statement-after-access-exclusive",
             first_line(s.sql, 60) + " runs while the ACCESS EXCLUSIVE lock taken by " +
                 *f.tx.access_exclusive_by +
                 " is held: every query on that table waits until this transaction commits");
}

void check_multiple_alter(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind != "AlterTableStmt" || !f.in_transaction()) {
        return;
    }
    const std::string table = qualified_name(member(s.body, "relation"));
    auto it = f.tx.alter_count.find(table);
    if (it == f.tx.alter_count.end() || it->second < 1) {
        return;
    }
    EmitExtras x = about_table(table);
    const int n = it->second + 1;
    out.emit("multiple-alter-same-table",
             "ALTER TABLE " + table + " is the " + std::to_string(n) +
                 (n == 2   ? "nd"
                  : n == 3 ? "rd"
                           : "th") +
                 " ALTER TABLE on " + table +
                 " in this transaction: each one takes ACCESS EXCLUSIVE again and may scan or "
                 "rewrite the table "
                 "again; combine them into one ALTER TABLE with several subcommands",
             x);
}

void check_several_tables(const StatementRef& s, const FileState& f, Emitter& out) {
    if (f.tx.access_exclusive_tables.empty() || !f.in_transaction()) {
        return;
    }
    std::vector<std::string> held(f.tx.access_exclusive_tables.begin(),
                                  f.tx.access_exclusive_tables.end());
    for (const auto& r : s.lock.relations) {
        if (r.level != L::access_exclusive || !r.exemptable ||
            f.created_tables.count(r.relation) != 0 ||
            f.tx.access_exclusive_tables.count(r.relation) != 0) {
            continue;
        }
        std::string list;
        for (size_t i = 0; i < held.size(); ++i) {
            list += (i == 0 ? "" : i + 1 == held.size() ? " and " : ", ") + held[i];
        }
        EmitExtras x;
        x.tables = held;
        x.tables.push_back(r.relation);
        out.emit("multiple-tables-access-exclusive",
                 first_line(s.sql, 60) + " takes ACCESS EXCLUSIVE on " + r.relation +
                     " while this transaction already holds it on " + list +
                     ": all of them stay blocked, plain SELECT included, until commit, and a "
                     "session locking the same tables in another order deadlocks with it; change "
                     "one table per migration",
                 x);
        held.push_back(r.relation);
    }
}

void check_hygiene(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind != "TransactionStmt") {
        return;
    }
    const std::string kind = s.body.value("kind", "");
    const std::string text = first_line(s.sql, 40);
    const bool begin = kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START";
    const bool end = kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK";
    const bool savepoint = kind == "TRANS_STMT_SAVEPOINT" || kind == "TRANS_STMT_RELEASE" ||
                           kind == "TRANS_STMT_ROLLBACK_TO";

    if (kind == "TRANS_STMT_PREPARE") {
        out.emit("transaction-hygiene", text +
                                            " leaves a prepared transaction holding its locks "
                                            "after the migration ends, until someone "
                                            "runs COMMIT PREPARED");
        return;
    }
    // The runner wraps a native migration in a transaction unless it says
    // no-transaction; then every transaction control statement fights it.
    if (f.runner_file && !f.no_transaction) {
        std::string why;
        if (begin) {
            why =
                "PostgreSQL ignores a nested BEGIN with a warning, and the matching COMMIT would "
                "end the "
                "runner's transaction early";
        } else if (kind == "TRANS_STMT_COMMIT") {
            why =
                "it commits the runner's transaction early, so the rest of the file runs outside "
                "it and a "
                "failure can no longer roll the migration back";
        } else if (kind == "TRANS_STMT_ROLLBACK") {
            why =
                "it throws away the runner's transaction, so the rest of the file runs outside it";
        } else if (savepoint) {
            why =
                "a ROLLBACK TO inside the runner's transaction can leave the migration half "
                "applied yet recorded "
                "as done";
        } else {
            why = "it cannot run inside the runner's transaction block";
        }
        out.emit("transaction-hygiene",
                 text + " in a migration that safe-migrate runs in a transaction: " + why +
                     "; remove it and let the runner own the transaction (or mark the file -- "
                     "safe-migrate: "
                     "no-transaction)");
        return;
    }
    // A no-transaction migration (or a plain SQL file) manages its own blocks:
    // they must match.
    if (begin && f.in_explicit_block) {
        out.emit("transaction-hygiene", text +
                                            " while a transaction block opened earlier is still "
                                            "open: PostgreSQL ignores the nested "
                                            "BEGIN with a warning and the next COMMIT ends the "
                                            "outer block (unterminated transaction)");
    } else if (end && !f.in_explicit_block) {
        out.emit("transaction-hygiene",
                 text +
                     " with no open transaction block (unmatched transaction): it does nothing but "
                     "warn, and "
                     "the statements before it already committed one by one");
    } else if (savepoint && !f.in_explicit_block) {
        out.emit("transaction-hygiene", text +
                                            " outside a transaction block fails at run time: "
                                            "savepoints exist only inside BEGIN ... "
                                            "COMMIT");
    }
}

}  // namespace

void check_transactions(const StatementRef& s, const FileState& f, Emitter& out) {
    check_lock_timeout(s, f, out);
    check_statement_timeout(s, f, out);
    check_after_access_exclusive(s, f, out);
    check_multiple_alter(s, f, out);
    check_several_tables(s, f, out);
    check_hygiene(s, f, out);
}

}  // namespace sm::planner
