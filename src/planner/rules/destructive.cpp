// Rule family "destructive": statements that destroy data or break code that
// is still running against the old schema.
//
//   ban-drop-database                   DROP DATABASE
//   ban-drop-schema                     DROP SCHEMA
//   ban-drop-table                      DROP TABLE
//   ban-drop-column                     ALTER TABLE ... DROP COLUMN
//   ban-truncate                        TRUNCATE
//   ban-delete-or-update-without-where  UPDATE/DELETE without WHERE (on an existing table)
//   ban-unbatched-dml                   a backfill in a transaction that already did DDL
//   renaming-column                     ALTER TABLE ... RENAME COLUMN
//   renaming-table                      ALTER TABLE ... RENAME TO
//   ban-drop-not-null                   ALTER COLUMN ... DROP NOT NULL
//   ban-drop-foreign-key                DROP CONSTRAINT of what its name says is a foreign key
//
// These are not exempted for tables created earlier in the plan, except
// ban-delete-or-update-without-where (a new table holds no rows to lose).

#include <fmt/format.h>

#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// Concatenation without temporaries.
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto part : parts) {
        out.append(part);
    }
    return out;
}

std::string rtrim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.pop_back();
    }
    return s;
}

bool cascade(const ParseTree& body) {
    return body.value("behavior", "") == "DROP_CASCADE";
}

// True when a SELECT (the body of a SelectStmt) reads from a table: the
// INSERT ... SELECT is a backfill rather than a handful of literal rows.
bool reads_tables(const ParseTree& select) {
    if (!select.is_object()) {
        return false;
    }
    if (select.contains("fromClause")) {
        return true;
    }
    if (select.value("op", "SETOP_NONE") != "SETOP_NONE") {
        return reads_tables(member(select, "larg")) || reads_tables(member(select, "rarg"));
    }
    return false;
}

bool looks_like_foreign_key(const std::string& name) {
    std::string n = util::to_lower(name);
    const std::string suffix = "_fkey";
    bool ends_fkey = n.size() >= suffix.size() &&
                     n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
    return ends_fkey || n.find("fk") != std::string::npos;
}

void check_drop(const StatementRef& s, Emitter& out) {
    const std::string type = s.body.value("removeType", "");
    const bool casc = cascade(s.body);
    const ParseTree& objects = member_list(s.body, "objects");
    if (type == "OBJECT_SCHEMA") {
        for (const auto& obj : objects) {
            std::string schema = string_value(obj);
            EmitExtras extras;
            std::string message = "DROP SCHEMA " + schema;
            if (casc) {
                message +=
                    " CASCADE drops every table, view, function and type in " + schema +
                    " (ACCESS EXCLUSIVE on each) and everything elsewhere that depends on them";
                extras.rewrite =
                    "DROP SCHEMA " + core::quote_ident(schema, core::Keywords::quoted) +
                    " RESTRICT;  -- fails instead of dropping whatever is still in " + schema;
            } else {
                message +=
                    " fails unless " + schema + " is empty; back it up and prove it is empty first";
            }
            out.emit("ban-drop-schema", message, extras);
        }
    } else if (type == "OBJECT_TABLE") {
        for (const auto& obj : objects) {
            const std::string name = drop_object_name(obj);
            if (name.empty()) {
                continue;
            }
            EmitExtras extras;
            extras.tables = {name};
            std::string message = fmt::format(
                "DROP TABLE {0} destroys its data and takes ACCESS EXCLUSIVE on {0} and on the "
                "tables whose foreign keys reference it",
                name);
            if (casc) {
                message += "; CASCADE also drops the views and foreign keys that depend on it";
            }
            out.emit("ban-drop-table", message, extras);
        }
    }
}

void check_truncate(const StatementRef& s, Emitter& out) {
    EmitExtras extras;
    std::string names;
    std::string rewrite;
    for (const auto& rel : member_list(s.body, "relations")) {
        if (!rel.contains("RangeVar")) {
            continue;
        }
        const ParseTree& rv = rel["RangeVar"];
        std::string table = qualified_name(rv);
        extras.tables.push_back(table);
        names += (names.empty() ? "" : ", ") + table;
        std::string t = qualified_relation_sql(rv, core::Keywords::quoted);
        rewrite += cat({rewrite.empty() ? "" : "\n", "DELETE FROM ", t,
                        " WHERE ctid IN (SELECT ctid FROM ", t, " LIMIT 10000);"});
    }
    if (extras.tables.empty()) {
        return;
    }
    std::string message = "TRUNCATE " + names +
                          " destroys every row and takes ACCESS EXCLUSIVE on " +
                          (extras.tables.size() == 1 ? "it" : "each of them");
    if (cascade(s.body)) {
        message +=
            "; CASCADE also empties every table with a foreign key to them, which this statement "
            "does not name";
    }
    extras.rewrite =
        rewrite + "\n-- repeat each batch in its own transaction until it deletes 0 rows";
    out.emit("ban-truncate", message, extras);
}

// UPDATE or DELETE with no WHERE: every row overwritten or deleted.
void emit_no_where(const std::string& kind, const ParseTree& body, const std::string& sql,
                   const std::string& table, const std::string& tsql, Emitter& out) {
    const bool update = kind == "UpdateStmt";
    std::string message =
        update ? "UPDATE " + table +
                     " has no WHERE: it overwrites the columns it sets in every "
                     "row of " +
                     table + ", and their old values are gone"
               : "DELETE FROM " + table + " has no WHERE: it deletes every row of " + table;
    message += " (one transaction holding a row lock on every row)";
    std::string rewrite;
    if (!update && !body.contains("usingClause") && !body.contains("returningList")) {
        rewrite = "DELETE FROM " + tsql + " WHERE ctid IN (SELECT ctid FROM " + tsql +
                  " LIMIT 10000);\n-- if every row must go: repeat, each batch in its own "
                  "transaction, until it deletes 0 rows";
    } else if (update && !body.contains("fromClause") && !body.contains("returningList") &&
               !sql.empty()) {
        rewrite = rtrim(sql) + "\n WHERE <key> IN (SELECT <key> FROM " + tsql +
                  " WHERE <not yet updated> ORDER BY <key> LIMIT 10000);\n" +
                  "-- repeat, each batch in its own transaction, until it updates 0 rows";
    }
    out.emit("ban-delete-or-update-without-where", message, about_table(table, rewrite));
}

// UPDATE / DELETE / INSERT ... SELECT, given as its kind and body.
void check_dml(const std::string& kind, const ParseTree& body, const std::string& sql,
               const FileState& f, Emitter& out) {
    if (!body.contains("relation") || f.backfill) {
        return;  // a phase=backfill statement runs in key-range batches (executor/backfill.hpp)
    }
    const ParseTree& rv = body["relation"];
    const std::string table = qualified_name(rv);
    const std::string tsql = qualified_relation_sql(rv, core::Keywords::quoted);
    bool no_where = false;
    bool backfill = false;
    std::string what;
    if (kind == "UpdateStmt") {
        no_where = !body.contains("whereClause");
        backfill = true;
        what = "UPDATE " + table;
    } else if (kind == "DeleteStmt") {
        no_where = !body.contains("whereClause");
        backfill = true;
        what = "DELETE FROM " + table;
    } else if (kind == "InsertStmt") {
        const ParseTree& sel = member(body, "selectStmt");
        backfill = sel.contains("SelectStmt") && reads_tables(sel["SelectStmt"]);
        what = "INSERT INTO " + table + " ... SELECT";
    } else {
        return;
    }
    const bool ddl_tx = backfill && f.in_transaction() && f.tx.has_ddl;
    if (no_where) {
        emit_no_where(kind, body, sql, table, tsql, out);
    }
    if (!ddl_tx) {
        return;
    }
    std::string message = what + " runs in the same transaction as earlier DDL";
    if (f.tx.access_exclusive_by) {
        message += ", so the ACCESS EXCLUSIVE lock taken by " + *f.tx.access_exclusive_by +
                   " stays held until this backfill commits";
    } else {
        message += ", so the locks that DDL took stay held until this backfill commits";
    }
    EmitExtras extras;
    extras.tables = {table};
    extras.rewrite =
        "-- move this statement to a migration of its own marked -- safe-migrate: "
        "no-transaction,\n"
        "-- and run it in batches, each in its own transaction.";
    out.emit("ban-unbatched-dml", message, extras);
}

// Data-modifying statements in a WITH clause (WITH x AS (UPDATE ...) ...).
void check_cte_dml(const ParseTree& body, const FileState& f, Emitter& out) {
    if (!body.contains("withClause")) {
        return;
    }
    for (const auto& cte : member_list(body["withClause"], "ctes")) {
        if (!cte.contains("CommonTableExpr")) {
            continue;
        }
        const ParseTree& query = member(cte["CommonTableExpr"], "ctequery");
        for (const char* kind : {"UpdateStmt", "DeleteStmt", "InsertStmt"}) {
            if (query.contains(kind)) {
                check_dml(kind, query[kind], "", f, out);
            }
        }
    }
}

void check_destructive_in_alter_table(const StatementRef& s, Emitter& out) {
    const std::string objtype = s.body.value("objtype", "OBJECT_TABLE");
    if (objtype != "OBJECT_TABLE" && objtype != "OBJECT_FOREIGN_TABLE") {
        return;
    }
    const ParseTree& rv = member(s.body, "relation");
    const std::string table = qualified_name(rv);
    for (const ParseTree* cmd : alter_commands(s.body)) {
        const std::string subtype = cmd->value("subtype", "");
        const std::string name = cmd->value("name", "");
        EmitExtras extras;
        extras.tables = {table};
        if (subtype == "AT_DropColumn") {
            std::string message = cat({"ALTER TABLE ", table, " DROP COLUMN ", name,
                                       " breaks application code that still reads or writes ", name,
                                       ", and its data is gone"});
            if (cascade(*cmd)) {
                message += "; CASCADE also drops the views, indexes and constraints that use it";
            }
            out.emit("ban-drop-column", message, extras);
        } else if (subtype == "AT_DropNotNull") {
            out.emit("ban-drop-not-null",
                     cat({"ALTER TABLE ", table, " ALTER COLUMN ", name,
                          " DROP NOT NULL: code that assumes ", name,
                          " is never NULL may break once NULLs appear"}),
                     extras);
        } else if (subtype == "AT_DropConstraint" && looks_like_foreign_key(name)) {
            out.emit("ban-drop-foreign-key",
                     cat({"ALTER TABLE ", table, " DROP CONSTRAINT ", name,
                          " drops what its name says is a foreign key: nothing stops orphans in ",
                          table}),
                     extras);
        }
    }
}

void check_rename(const StatementRef& s, Emitter& out) {
    const std::string type = s.body.value("renameType", "");
    if (!s.body.contains("relation")) {
        return;
    }
    const ParseTree& rv = s.body["relation"];
    const std::string table = qualified_name(rv);
    const std::string tsql = qualified_relation_sql(rv, core::Keywords::quoted);
    const std::string newname = s.body.value("newname", "");
    EmitExtras extras;
    extras.tables = {table};
    if (type == "OBJECT_COLUMN") {
        const std::string rel_type = s.body.value("relationType", "");
        if (rel_type != "OBJECT_TABLE" && rel_type != "OBJECT_FOREIGN_TABLE") {
            return;
        }
        const std::string old = s.body.value("subname", "");
        extras.rewrite = "ALTER TABLE " + tsql + " ADD COLUMN " +
                         core::quote_ident(newname, core::Keywords::quoted) + " <type of " + old +
                         ">;\n" + "-- dual-write " + old + " and " + newname +
                         " (trigger), backfill " + newname + " in batches, switch readers to " +
                         newname + ", then in a later release:\n" + "-- ALTER TABLE " + tsql +
                         " DROP COLUMN " + core::quote_ident(old, core::Keywords::quoted) + ";";
        out.emit("renaming-column",
                 "ALTER TABLE " + table + " RENAME COLUMN " + old + " TO " + newname +
                     " breaks every running query that still uses " + old,
                 extras);
    } else if (type == "OBJECT_TABLE" || type == "OBJECT_FOREIGN_TABLE") {
        std::string new_sql =
            qualified_sql(rv.value("schemaname", ""), newname, core::Keywords::quoted);
        extras.rewrite = "ALTER TABLE " + tsql + " RENAME TO " +
                         core::quote_ident(newname, core::Keywords::quoted) + ";\n" +
                         "CREATE VIEW " + tsql + " AS SELECT * FROM " + new_sql +
                         ";  -- in the same transaction; drop the view once no code uses " + table;
        out.emit("renaming-table",
                 "ALTER TABLE " + table + " RENAME TO " + newname +
                     " breaks every running query that still uses " + table,
                 extras);
    }
}

}  // namespace

void check_destructive(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind == "DropdbStmt") {
        std::string db = s.body.value("dbname", "");
        out.emit("ban-drop-database", "DROP DATABASE " + db + " destroys the whole database " + db,
                 EmitExtras{});
    } else if (s.kind == "DropStmt") {
        check_drop(s, out);
    } else if (s.kind == "TruncateStmt") {
        check_truncate(s, out);
    } else if (s.kind == "AlterTableStmt") {
        check_destructive_in_alter_table(s, out);
    } else if (s.kind == "RenameStmt") {
        check_rename(s, out);
    } else if (s.kind == "UpdateStmt" || s.kind == "DeleteStmt" || s.kind == "InsertStmt") {
        check_dml(s.kind, s.body, s.sql, f, out);
        check_cte_dml(s.body, f, out);
    } else if (s.kind == "SelectStmt") {
        check_cte_dml(s.body, f, out);
    }
}

}  // namespace sm::planner
