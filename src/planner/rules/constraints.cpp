// Rule family "constraints": adding CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY and
// EXCLUDE constraints to tables that already hold data, validating in the wrong
// transaction, and foreign keys whose referencing columns have no index.
//
// The parse tree decides what a statement is; the rewrites are then made by
// text surgery on the statement (constraint_rewrite.hpp).

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"
#include "planner/rules/constraint_rewrite.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

std::vector<std::string> string_list(const ParseTree& list) {
    std::vector<std::string> out;
    if (list.is_array()) {
        for (const auto& item : list) {
            out.push_back(string_value(item));
        }
    }
    return out;
}

// The first column a CHECK expression mentions, as PostgreSQL uses it to name
// an unnamed constraint; "" when there is none.
std::string first_column_ref(const ParseTree& node) {
    if (node.is_object()) {
        if (node.contains("ColumnRef")) {
            const ParseTree& fields = member_list(node["ColumnRef"], "fields");
            if (!fields.empty()) {
                return string_value(fields.back());
            }
        }
        for (const auto& item : node.items()) {
            std::string found = first_column_ref(item.value());
            if (!found.empty()) {
                return found;
            }
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            std::string found = first_column_ref(item);
            if (!found.empty()) {
                return found;
            }
        }
    }
    return "";
}

const char* k_later = "-- then, in a later migration:\n";

// ---------------------------------------------------------------------------
// The rules

struct AlterContext {
    const StatementRef& s;
    const FileState& f;
    Emitter& out;
    std::string table;    // public.orders
    std::string relname;  // orders
    std::string rel_sql;  // orders, as a CREATE INDEX target
    AlterLayout layout;
};

std::string validate_sql(const AlterContext& c, const std::string& name) {
    return c.layout.header + " VALIDATE CONSTRAINT " + core::quote_ident(name) + ";";
}

// An inline constraint of ADD COLUMN piece i moved out: the column added without
// it, then "ADD CONSTRAINT name <prefix><the constraint> NOT VALID", validated in
// a later migration.
std::string inline_constraint_not_valid(const AlterContext& c, size_t i, const std::string& piece,
                                        const ConstraintSpan& span, const std::string& name,
                                        const std::string& prefix) {
    return c.layout.with_piece(i, without_span(piece, span)) + "\n" + c.layout.header +
           " ADD CONSTRAINT " + core::quote_ident(name) + " " + prefix +
           trim(piece.substr(span.keyword_begin, span.end - span.keyword_begin)) + " NOT VALID;\n" +
           k_later + validate_sql(c, name);
}

void check_missing_not_valid(const AlterContext& c, size_t i, const ParseTree& con) {
    if (con.value("skip_validation", false)) {
        return;
    }
    std::string conname = con.value("conname", "");
    std::string col = first_column_ref(member(con, "raw_expr"));
    std::string name = conname.empty() ? make_object_name(c.relname, col, "check") : conname;
    std::string rewrite;
    if (c.layout.ok) {
        rewrite =
            c.layout.with_piece(i, name_constraint_piece(c.layout.pieces[i], name) + " NOT VALID") +
            "\n" + k_later + validate_sql(c, name);
    }
    c.out.emit("constraint-missing-not-valid",
               "ALTER TABLE " + c.table + " ADD " +
                   (conname.empty() ? "CHECK" : "CONSTRAINT " + conname + " CHECK") +
                   " without NOT VALID scans every row of " + c.table +
                   " under ACCESS EXCLUSIVE; add it NOT VALID and VALIDATE CONSTRAINT in a later "
                   "migration, which lets reads and writes go on",
               about_table(c.table, rewrite));
}

void check_missing_index_alter(const AlterContext& c, const std::vector<std::string>& cols,
                               const std::string& referenced, bool new_column) {
    std::string cols_text = "(" + util::join(cols, ", ") + ")";
    std::string index_name = make_object_name(c.relname, util::join(cols, "_"), "idx");
    std::string rewrite =
        std::string(k_no_tx_directive) + "CREATE INDEX CONCURRENTLY IF NOT EXISTS " +
        core::quote_ident(index_name) + " ON " + c.rel_sql + " " + column_list_sql(cols) + ";";
    std::string message =
        new_column
            ? "foreign key " + c.table + " " + cols_text + " -> " + referenced +
                  " is on a new column, which has no index: every DELETE or key UPDATE on " +
                  referenced + " will scan " + c.table
            : "foreign key " + c.table + " " + cols_text + " -> " + referenced +
                  ": existing indexes are not visible to the linter; check that an index on " +
                  c.table + " leads with " + cols_text + ", or every DELETE or key UPDATE on " +
                  referenced + " scans " + c.table;
    c.out.emit("fk-missing-index", message,
               EmitExtras{rewrite, {c.table, referenced}, "", index_key(c.table, cols)});
}

void check_foreign_key(const AlterContext& c, size_t i, const ParseTree& con) {
    std::string referenced = qualified_name(member(con, "pktable"));
    std::vector<std::string> cols = string_list(member_list(con, "fk_attrs"));
    if (!con.value("skip_validation", false)) {
        std::string conname = con.value("conname", "");
        std::string name =
            conname.empty() ? make_object_name(c.relname, util::join(cols, "_"), "fkey") : conname;
        std::string rewrite;
        if (c.layout.ok) {
            rewrite = c.layout.with_piece(
                          i, name_constraint_piece(c.layout.pieces[i], name) + " NOT VALID") +
                      "\n" + k_later + validate_sql(c, name);
        }
        c.out.emit(
            "adding-foreign-key-constraint",
            "ALTER TABLE " + c.table + " ADD " +
                (conname.empty() ? "FOREIGN KEY" : "CONSTRAINT " + conname + " FOREIGN KEY") +
                " (" + util::join(cols, ", ") + ") REFERENCES " + referenced +
                " without NOT VALID checks every row under SHARE ROW EXCLUSIVE on " + c.table +
                " and " + referenced + " (writes to both blocked)",
            EmitExtras{rewrite, {c.table, referenced}, c.table});
    }
    check_missing_index_alter(c, cols, referenced, false);
}

void check_unique(const AlterContext& c, size_t i, const ParseTree& con) {
    if (!con.value("indexname", "").empty()) {
        return;  // ADD CONSTRAINT ... UNIQUE USING INDEX: the safe form
    }
    std::vector<std::string> keys = string_list(member_list(con, "keys"));
    std::string conname = con.value("conname", "");
    std::string name =
        conname.empty() ? make_object_name(c.relname, util::join(keys, "_"), "key") : conname;
    std::string index = std::string(k_no_tx_directive) +
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " +
                        core::quote_ident(name) + " ON " + c.rel_sql + " " + column_list_sql(keys);
    std::vector<std::string> including = string_list(member_list(con, "including"));
    if (!including.empty()) {
        index += " INCLUDE " + column_list_sql(including);
    }
    if (con.value("nulls_not_distinct", false)) {
        index += " NULLS NOT DISTINCT";
    }
    std::string attach = "ADD CONSTRAINT " + core::quote_ident(name) + " UNIQUE USING INDEX " +
                         core::quote_ident(name);
    if (con.value("deferrable", false)) {
        attach += " DEFERRABLE";
    }
    if (con.value("initdeferred", false)) {
        attach += " INITIALLY DEFERRED";
    }
    std::string rewrite;
    if (c.layout.ok) {
        std::string rest = c.layout.with_piece(i, "");
        rewrite = (rest.empty() ? "" : rest + "\n" + k_later) + index + ";\n" + k_later +
                  c.layout.header + " " + attach + ";";
    }
    c.out.emit("adding-unique-constraint",
               "ALTER TABLE " + c.table + " ADD " +
                   (conname.empty() ? "" : "CONSTRAINT " + conname + " ") + "UNIQUE (" +
                   util::join(keys, ", ") + ") builds its index under ACCESS EXCLUSIVE on " +
                   c.table + " (reads and writes blocked for the whole build; fails on duplicates)",
               about_table(c.table, rewrite));
}

void check_primary_key(const AlterContext& c, size_t i, const ParseTree& con) {
    if (!con.value("indexname", "").empty()) {
        return;  // ADD PRIMARY KEY USING INDEX: the safe form
    }
    std::vector<std::string> keys = string_list(member_list(con, "keys"));
    std::string conname = con.value("conname", "");
    std::string name = conname.empty() ? make_object_name(c.relname, "", "pkey") : conname;
    std::string rewrite;
    if (c.layout.ok) {
        std::string rest = c.layout.with_piece(i, "");
        rewrite = (rest.empty() ? "" : rest + "\n" + k_later) + k_no_tx_directive +
                  "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + core::quote_ident(name) +
                  " ON " + c.rel_sql + " " + column_list_sql(keys) + ";\n" +
                  "-- then, in a later migration, once (" + util::join(keys, ", ") +
                  ") is NOT NULL (CHECK ... IS NOT NULL NOT VALID, VALIDATE, SET NOT NULL):\n" +
                  c.layout.header + " ADD CONSTRAINT " + core::quote_ident(name) +
                  " PRIMARY KEY USING INDEX " + core::quote_ident(name) + ";";
    }
    c.out.emit("adding-primary-key",
               "ALTER TABLE " + c.table + " ADD PRIMARY KEY (" + util::join(keys, ", ") +
                   ") builds a unique index and scans for NULLs under ACCESS EXCLUSIVE on " +
                   c.table,
               about_table(c.table, rewrite));
}

void check_exclusion(const AlterContext& c, const ParseTree& con) {
    std::string conname = con.value("conname", "");
    c.out.emit("adding-exclusion-constraint",
               "ALTER TABLE " + c.table + " ADD " +
                   (conname.empty() ? "" : "CONSTRAINT " + conname + " ") + "EXCLUDE USING " +
                   con.value("access_method", "btree") +
                   " builds its index under ACCESS EXCLUSIVE on " + c.table +
                   "; EXCLUDE accepts neither NOT VALID nor USING INDEX, so schedule downtime",
               about_table(c.table));
}

// Inline constraints of ADD COLUMN: REFERENCES, UNIQUE, PRIMARY KEY, CHECK.
void check_add_column(const AlterContext& c, size_t i, const ParseTree& column) {
    const std::string colname = column.value("colname", "");
    const ParseTree& constraints = member_list(column, "constraints");
    bool column_indexed = false;
    for (const auto& item : constraints) {
        std::string type =
            item.contains("Constraint") ? item["Constraint"].value("contype", "") : "";
        column_indexed = column_indexed || type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY";
    }
    const std::string piece = c.layout.ok ? c.layout.pieces[i] : "";
    for (const auto& item : constraints) {
        if (!item.contains("Constraint")) {
            continue;
        }
        const ParseTree& con = item["Constraint"];
        const std::string type = con.value("contype", "");
        const std::string conname = con.value("conname", "");
        if (type == "CONSTR_FOREIGN") {
            std::string referenced = qualified_name(member(con, "pktable"));
            std::string name =
                conname.empty() ? make_object_name(c.relname, colname, "fkey") : conname;
            std::string rewrite;
            ConstraintSpan span = column_constraint_span(piece, "REFERENCES");
            if (span.found) {
                rewrite = inline_constraint_not_valid(
                    c, i, piece, span, name, "FOREIGN KEY (" + core::quote_ident(colname) + ") ");
            }
            std::string message =
                "ALTER TABLE " + c.table + " ADD COLUMN " + colname + " ... REFERENCES ";
            message += referenced;
            message +=
                " validates the new foreign key over every row under SHARE ROW EXCLUSIVE on " +
                c.table + " and ";
            message += referenced;
            message += " (writes to both blocked)";
            c.out.emit("adding-foreign-key-constraint", std::move(message),
                       EmitExtras{rewrite, {c.table, referenced}, c.table});
            if (!column_indexed) {
                check_missing_index_alter(c, {colname}, referenced, true);
            }
        } else if (type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY") {
            const bool unique = type == "CONSTR_UNIQUE";
            std::string rewrite;
            ConstraintSpan span = column_constraint_span(piece, unique ? "UNIQUE" : "PRIMARY");
            if (unique && span.found) {
                std::string name =
                    conname.empty() ? make_object_name(c.relname, colname, "key") : conname;
                rewrite = c.layout.with_piece(i, without_span(piece, span)) + "\n" + k_later +
                          k_no_tx_directive + "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " +
                          core::quote_ident(name) + " ON " + c.rel_sql + " (" +
                          core::quote_ident(colname) + ");\n" + k_later + c.layout.header +
                          " ADD CONSTRAINT " + core::quote_ident(name) + " UNIQUE USING INDEX " +
                          core::quote_ident(name) + ";";
            }
            c.out.emit(
                unique ? "adding-unique-constraint" : "adding-primary-key",
                "ALTER TABLE " + c.table + " ADD COLUMN " + colname +
                    (unique ? " UNIQUE" : " PRIMARY KEY") +
                    " builds an index over every row under ACCESS EXCLUSIVE on " + c.table +
                    (unique ? "; add the column plain, then build the unique index CONCURRENTLY"
                            : "; add the column, build a unique index CONCURRENTLY, then "
                              "ADD PRIMARY KEY USING INDEX"),
                about_table(c.table, rewrite));
        } else if (type == "CONSTR_CHECK") {
            std::string col = first_column_ref(member(con, "raw_expr"));
            std::string name =
                conname.empty() ? make_object_name(c.relname, col, "check") : conname;
            std::string rewrite;
            ConstraintSpan span = column_constraint_span(piece, "CHECK");
            if (span.found) {
                rewrite = inline_constraint_not_valid(c, i, piece, span, name, "");
            }
            c.out.emit("constraint-missing-not-valid",
                       "ALTER TABLE " + c.table + " ADD COLUMN " + colname +
                           " with an inline CHECK scans every row of " + c.table +
                           " under ACCESS EXCLUSIVE (an inline CHECK cannot be NOT VALID); add the "
                           "column, "
                           "then the CHECK NOT VALID",
                       about_table(c.table, rewrite));
        }
    }
}

void check_validate(const AlterContext& c, const ParseTree& cmd) {
    if (!c.f.in_transaction()) {
        return;
    }
    const std::string name = cmd.value("name", "");
    const auto& tx = c.f.tx;
    std::string why;
    if (tx.not_valid_added.count(c.table + "." + name) != 0) {
        why =
            "runs in the transaction that added it NOT VALID, so the ACCESS EXCLUSIVE (or SHARE "
            "ROW "
            "EXCLUSIVE) lock taken there is held through the whole validation scan";
    } else if (tx.strong_locked.count(c.table) != 0) {
        why = "runs in a transaction that already holds a strong lock on " + c.table +
              ", which stays held through the whole validation scan";
    } else if (tx.access_exclusive_by) {
        why = "runs in a transaction that holds ACCESS EXCLUSIVE from " + *tx.access_exclusive_by +
              ", which stays held through the whole validation scan";
    } else {
        return;
    }
    c.out.emit("validate-in-same-transaction",
               "VALIDATE CONSTRAINT " + name + " on " + c.table + " " + why +
                   "; validate in a separate migration",
               about_table(c.table));
}

void check_constraints_in_alter_table(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.body.value("objtype", "") != "OBJECT_TABLE") {
        return;
    }
    const ParseTree& relation = member(s.body, "relation");
    const auto commands = alter_commands(s.body);
    AlterContext c{s,
                   f,
                   out,
                   qualified_name(relation),
                   relation.value("relname", ""),
                   relation_sql(relation),
                   alter_layout(statement_text(s.sql), commands.size())};
    for (size_t i = 0; i < commands.size(); ++i) {
        const ParseTree& cmd = *commands[i];
        const std::string subtype = cmd.value("subtype", "");
        const ParseTree& def = member(cmd, "def");
        if (subtype == "AT_ValidateConstraint") {
            check_validate(c, cmd);
        } else if (subtype == "AT_AddColumn" && def.contains("ColumnDef")) {
            check_add_column(c, i, def["ColumnDef"]);
        } else if (subtype == "AT_AddConstraint" && def.contains("Constraint")) {
            const ParseTree& con = def["Constraint"];
            const std::string type = con.value("contype", "");
            if (type == "CONSTR_CHECK") {
                check_missing_not_valid(c, i, con);
            } else if (type == "CONSTR_FOREIGN") {
                check_foreign_key(c, i, con);
            } else if (type == "CONSTR_UNIQUE") {
                check_unique(c, i, con);
            } else if (type == "CONSTR_PRIMARY") {
                check_primary_key(c, i, con);
            } else if (type == "CONSTR_EXCLUSION") {
                check_exclusion(c, con);
            }
        }
    }
}

// CREATE TABLE with foreign keys: the table is new, so the only question is
// whether the referencing columns get an index. Heuristic: they are covered
// when they are (in any order) the leading columns of the PRIMARY KEY or of a
// UNIQUE constraint in the same statement. A CREATE INDEX later in the file
// also covers them, but the rule cannot see it.
void check_create_table(const StatementRef& s, Emitter& out) {
    const ParseTree& relation = member(s.body, "relation");
    const std::string table = qualified_name(relation);
    std::vector<std::vector<std::string>> keys;
    struct ForeignKey {
        std::vector<std::string> cols;
        std::string referenced;
    };
    std::vector<ForeignKey> fks;
    for (const auto& elt : member_list(s.body, "tableElts")) {
        if (elt.contains("ColumnDef")) {
            const ParseTree& column = elt["ColumnDef"];
            const std::string colname = column.value("colname", "");
            for (const auto& item : member_list(column, "constraints")) {
                const ParseTree& con = member(item, "Constraint");
                const std::string type = con.value("contype", "");
                if (type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE") {
                    keys.push_back({colname});
                } else if (type == "CONSTR_FOREIGN") {
                    fks.push_back({{colname}, qualified_name(member(con, "pktable"))});
                }
            }
        } else if (elt.contains("Constraint")) {
            const ParseTree& con = elt["Constraint"];
            const std::string type = con.value("contype", "");
            if (type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE") {
                keys.push_back(string_list(member_list(con, "keys")));
            } else if (type == "CONSTR_FOREIGN") {
                fks.push_back({string_list(member_list(con, "fk_attrs")),
                               qualified_name(member(con, "pktable"))});
            }
        }
    }
    for (const auto& fk : fks) {
        const std::set<std::string> wanted(fk.cols.begin(), fk.cols.end());
        bool covered =
            std::any_of(keys.begin(), keys.end(), [&](const std::vector<std::string>& key) {
                return key.size() >= fk.cols.size() &&
                       std::set<std::string>(
                           key.begin(),
                           key.begin() + static_cast<std::ptrdiff_t>(fk.cols.size())) == wanted;
            });
        if (covered || fk.cols.empty()) {
            continue;
        }
        std::string cols_text = "(" + util::join(fk.cols, ", ") + ")";
        std::string index_name =
            make_object_name(relation.value("relname", ""), util::join(fk.cols, "_"), "idx");
        std::string message = "CREATE TABLE " + table + ": foreign key ";
        message += cols_text;
        message += " -> " + fk.referenced + " has no index leading with ";
        message += cols_text;
        message +=
            " in this statement; unless a later CREATE INDEX adds one, every DELETE or key "
            "UPDATE on " +
            fk.referenced + " scans ";
        message += table;
        out.emit("fk-missing-index", std::move(message),
                 EmitExtras{"CREATE INDEX " + core::quote_ident(index_name) + " ON " +
                                relation_sql(relation) + " " + column_list_sql(fk.cols) + ";",
                            {table, fk.referenced},
                            "",
                            index_key(table, fk.cols)});
    }
}

}  // namespace

void check_constraints(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind == "AlterTableStmt") {
        check_constraints_in_alter_table(s, f, out);
    } else if (s.kind == "CreateStmt") {
        check_create_table(s, out);
    }
}

}  // namespace sm::planner
