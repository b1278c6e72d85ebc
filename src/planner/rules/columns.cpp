// Rule family "columns": adding, retyping and constraining columns of tables
// that already exist (ALTER TABLE only; a table created earlier in the plan is
// exempted by the driver through exempt_if_new).
//
//   adding-required-field               ADD COLUMN ... NOT NULL with no DEFAULT
//   adding-field-with-volatile-default  ADD COLUMN ... DEFAULT <volatile>
//                                       (any DEFAULT before PostgreSQL 11)
//   adding-stored-generated-column      ADD COLUMN ... GENERATED ALWAYS AS (...) STORED
//   adding-serial-or-identity-column    ADD COLUMN serial / GENERATED ... AS IDENTITY
//   changing-column-type                ALTER COLUMN ... TYPE
//   set-not-null                        ALTER COLUMN ... SET NOT NULL
//
// Reading type names and DEFAULT or generation expressions back to SQL, and
// deciding whether a DEFAULT is volatile, is column_expr.cpp's business.

#include <optional>
#include <string>
#include <vector>

#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"
#include "planner/rules/column_expr.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

struct ColumnParts {
    std::string name;
    std::string type;       // as SQL
    std::string type_base;  // last name component, lower-cased ("int8", "bigserial")
    bool not_null = false;
    bool primary_key = false;
    const ParseTree* default_expr = nullptr;  // a non-NULL DEFAULT
    const ParseTree* generated_expr = nullptr;
    bool identity = false;
    std::string identity_when;  // "a" (ALWAYS) or "d" (BY DEFAULT)
};

ColumnParts column_parts(const ParseTree& column_def) {
    ColumnParts c;
    c.name = column_def.value("colname", "");
    const ParseTree& tn = member(column_def, "typeName");
    c.type = type_sql(tn);
    c.type_base = last_name(member_list(tn, "names"));
    const ParseTree& constraints = column_def["constraints"];
    for (const auto& item : constraints) {  // iterating null visits nothing
        if (!item.is_object() || !item.contains("Constraint")) {
            continue;
        }
        const ParseTree& con = item["Constraint"];
        std::string type = con.value("contype", "");
        if (type == "CONSTR_NOTNULL") {
            c.not_null = true;
        } else if (type == "CONSTR_PRIMARY") {
            c.primary_key = true;
        } else if (type == "CONSTR_DEFAULT" && con.contains("raw_expr") &&
                   !is_null_const(con["raw_expr"])) {
            c.default_expr = &con["raw_expr"];
        } else if (type == "CONSTR_GENERATED") {
            c.generated_expr = con.contains("raw_expr") ? &con["raw_expr"] : nullptr;
            if (c.generated_expr == nullptr) {
                c.generated_expr = &ParseTree::empty_object();
            }
        } else if (type == "CONSTR_IDENTITY") {
            c.identity = true;
            c.identity_when = con.value("generated_when", "");
        }
    }
    if (column_def.contains("raw_default") && !is_null_const(column_def["raw_default"]) &&
        !c.default_expr) {
        c.default_expr = &column_def["raw_default"];
    }
    return c;
}

std::string serial_base_type(const std::string& t) {
    if (t == "serial" || t == "serial4") {
        return "integer";
    }
    if (t == "bigserial" || t == "serial8") {
        return "bigint";
    }
    if (t == "smallserial" || t == "serial2") {
        return "smallint";
    }
    return "";
}

// What the message and rewrite for one ADD COLUMN are made of.
struct AddedColumn {
    const ParseTree& relation;
    const ColumnParts& c;
    std::string table;  // public.orders, for messages
    std::string tsql;   // the table as SQL
    std::string col;    // the column as SQL
    std::string head;   // "ALTER TABLE public.orders ADD COLUMN total numeric"
};

void check_serial_or_identity(const AddedColumn& a, const std::string& serial_type, Emitter& out) {
    const ColumnParts& c = a.c;
    const std::string& tsql = a.tsql;
    const std::string& col = a.col;
    EmitExtras extras = about_table(a.table);
    std::string type = serial_type.empty() ? c.type : serial_type;
    std::string what = !serial_type.empty()
                           ? a.head
                           : a.head + " GENERATED " +
                                 (c.identity_when == "a" ? "ALWAYS" : "BY DEFAULT") +
                                 " AS IDENTITY";
    std::string seq_name =
        truncate_identifier(a.relation.value("relname", "") + "_" + c.name + "_seq");
    std::string seq =
        qualified_sql(a.relation.value("schemaname", ""), seq_name, core::Keywords::quoted);
    extras.rewrite = "CREATE SEQUENCE " + seq + " AS " + type + ";\n" + "ALTER TABLE " + tsql +
                     " ADD COLUMN " + col + " " + type + ";\n" + "ALTER TABLE " + tsql +
                     " ALTER COLUMN " + col + " SET DEFAULT nextval(" + core::quote_literal(seq) +
                     ");\n" + "ALTER SEQUENCE " + seq + " OWNED BY " + tsql + "." + col + ";\n" +
                     "-- then backfill existing rows in batches, each in its own transaction:\n" +
                     "-- UPDATE " + tsql + " SET " + col + " = nextval(" +
                     core::quote_literal(seq) + ") WHERE " + col + " IS NULL AND <key range>;\n" +
                     "-- then NOT NULL without a long lock: ADD CONSTRAINT ... CHECK (" + col +
                     " IS NOT NULL) NOT VALID, VALIDATE it later, SET NOT NULL, drop the CHECK";
    out.emit("adding-serial-or-identity-column",
             what + " fills every existing row from a sequence: rewrites " + a.table +
                 " and its indexes under ACCESS EXCLUSIVE",
             extras);
}

void check_generated(const AddedColumn& a, const std::string& sql, Emitter& out) {
    const ColumnParts& c = a.c;
    const std::string& tsql = a.tsql;
    const std::string& col = a.col;
    EmitExtras extras = about_table(a.table);
    std::string expr = expr_sql(*c.generated_expr, sql).value_or("<generation expression>");
    extras.rewrite =
        "ALTER TABLE " + tsql + " ADD COLUMN " + col + " " + c.type + ";\n" + "-- keep " + col +
        " = (" + expr +
        ") with a BEFORE INSERT OR UPDATE trigger, then backfill existing rows in batches:\n" +
        "-- UPDATE " + tsql + " SET " + col + " = (" + expr + ") WHERE " + col +
        " IS NULL AND <key range>;";
    out.emit("adding-stored-generated-column",
             a.head + " GENERATED ALWAYS AS (" + expr + ") STORED computes " + c.name +
                 " for every existing row: rewrites " + a.table +
                 " and its indexes under ACCESS EXCLUSIVE",
             extras);
}

void check_default(const AddedColumn& a, const std::string& sql, const FileState& f, Emitter& out) {
    const ColumnParts& c = a.c;
    const std::string& tsql = a.tsql;
    const std::string& col = a.col;
    EmitExtras extras = about_table(a.table);
    const std::string expr = expr_sql(*c.default_expr, sql).value_or("<default expression>");
    const std::string backfill =
        "ALTER TABLE " + tsql + " ADD COLUMN " + col + " " + c.type + ";\n" + "ALTER TABLE " +
        tsql + " ALTER COLUMN " + col + " SET DEFAULT " + expr + ";\n" +
        "-- then backfill existing rows in batches, each in its own transaction:\n" + "-- UPDATE " +
        tsql + " SET " + col + " = " + expr + " WHERE " + col + " IS NULL AND <key range>;" +
        (c.not_null || c.primary_key
             ? "\n-- then NOT NULL without a long lock: ADD CONSTRAINT ... CHECK (" + col +
                   " IS NOT NULL) NOT VALID, VALIDATE it later, SET NOT NULL, drop the CHECK"
             : "");
    if (f.pg_version < 110000) {
        extras.rewrite = backfill;
        out.emit("adding-field-with-volatile-default",
                 a.head + " DEFAULT " + expr + ": before PostgreSQL 11 (target " +
                     pg_version_text(f.pg_version) + ") any non-NULL DEFAULT rewrites " + a.table +
                     " and its indexes under ACCESS EXCLUSIVE",
                 extras);
        return;
    }
    Volatility v = volatility(*c.default_expr);
    if (v.is_volatile) {
        extras.rewrite = backfill;
        std::string why = v.known ? v.function + "() is volatile"
                                  : v.function +
                                        "() is not a function the linter knows to be stable (if "
                                        "it is VOLATILE, PostgreSQL evaluates it per row)";
        out.emit("adding-field-with-volatile-default",
                 a.head + " DEFAULT " + expr + ": " + why + ", so PostgreSQL rewrites " + a.table +
                     " and its indexes under ACCESS EXCLUSIVE to store a value in every row",
                 extras);
    }
}

void check_required(const AddedColumn& a, const FileState& f, Emitter& out) {
    const ColumnParts& c = a.c;
    EmitExtras extras = about_table(a.table);
    std::string nn = c.not_null ? "NOT NULL" : "PRIMARY KEY (which implies NOT NULL)";
    std::string rewrite;
    if (f.pg_version >= 110000) {
        rewrite += "-- either a constant default (catalog-only from PostgreSQL 11, no rewrite):\n";
        rewrite += "ALTER TABLE " + a.tsql + " ADD COLUMN " + a.col + " " + c.type +
                   " NOT NULL DEFAULT <constant>;\n";
        rewrite +=
            "-- or nullable, backfilled in batches, then NOT NULL through a validated CHECK:\n";
    } else {
        rewrite += "-- nullable, backfilled in batches, then NOT NULL through a validated CHECK:\n";
    }
    rewrite += "ALTER TABLE " + a.tsql + " ADD COLUMN " + a.col + " " + c.type + ";";
    extras.rewrite = rewrite;
    out.emit("adding-required-field",
             a.head + " " + nn + " has no DEFAULT: it fails on a non-empty " + a.table +
                 " because existing rows would get NULL",
             extras);
}

void check_add_column(const ParseTree& relation, const ParseTree& cmd, const std::string& sql,
                      const FileState& f, Emitter& out) {
    const ParseTree& def = cmd["def"];
    if (!def.contains("ColumnDef")) {
        return;
    }
    const ColumnParts c = column_parts(def["ColumnDef"]);
    const std::string table = qualified_name(relation);
    const AddedColumn a{relation,
                        c,
                        table,
                        qualified_relation_sql(relation, core::Keywords::quoted),
                        core::quote_ident(c.name, core::Keywords::quoted),
                        "ALTER TABLE " + table + " ADD COLUMN " + c.name + " " + c.type};
    const std::string serial_type = serial_base_type(c.type_base);
    if (!serial_type.empty() || c.identity) {
        check_serial_or_identity(a, serial_type, out);
        return;  // serial and identity columns are NOT NULL by construction
    }
    if (c.generated_expr != nullptr) {
        check_generated(a, sql, out);
        return;
    }
    if (c.default_expr != nullptr) {
        check_default(a, sql, f, out);
        return;  // a DEFAULT fills existing rows, so NOT NULL does not fail
    }
    if (c.not_null || c.primary_key) {
        check_required(a, f, out);
    }
}

bool is_text_type(const ParseTree& type_name) {
    const ParseTree& names = member_list(type_name, "names");
    std::string base = last_name(names);
    if (base == "text" &&
        (names.size() == 1 || util::to_lower(string_value(names[0])) == "pg_catalog")) {
        return member_list(type_name, "arrayBounds").empty();
    }
    if (base == "varchar" && typmods(type_name).empty() &&
        member_list(type_name, "arrayBounds").empty()) {
        return true;
    }
    return false;
}

// True when a USING expression is nothing more than the column itself,
// optionally cast (so the type change alone decides about the rewrite).
bool trivial_using(const ParseTree& expr, const std::string& column) {
    const ParseTree* e = &expr;
    while (e->is_object() && e->contains("TypeCast")) {
        const ParseTree& cast = (*e)["TypeCast"];
        if (!cast.contains("arg")) {
            return false;
        }
        e = &cast["arg"];
    }
    if (!e->is_object() || !e->contains("ColumnRef")) {
        return false;
    }
    const ParseTree& fields = member_list((*e)["ColumnRef"], "fields");
    return fields.size() == 1 && string_value(fields[0]) == column;
}

void check_alter_type(const ParseTree& relation, const ParseTree& cmd, const FileState& f,
                      Emitter& out) {
    const ParseTree& def = cmd["def"];
    if (!def.contains("ColumnDef")) {
        return;
    }
    const ParseTree& cd = def["ColumnDef"];
    const ParseTree& tn = member(cd, "typeName");
    const std::string column = cmd.value("name", "");
    const bool has_using = cd.contains("raw_default");
    const bool forced_by_using = has_using && !trivial_using(cd["raw_default"], column);
    if (is_text_type(tn) && !forced_by_using) {
        return;  // from varchar (the usual case) this is binary coercible: no rewrite
    }
    const std::string table = qualified_name(relation);
    const std::string tsql = qualified_relation_sql(relation, core::Keywords::quoted);
    const std::string type = type_sql(tn);
    const std::string base = last_name(member_list(tn, "names"));
    const std::vector<long long> mods = typmods(tn);

    std::string note;
    if (forced_by_using) {
        note = "; the USING expression computes a new value for every row, so it rewrites";
    } else if (base == "varchar" && !mods.empty()) {
        note = "; no rewrite only when the old type is varchar(m) with m <= " +
               std::to_string(mods[0]);
    } else if (base == "numeric") {
        note = mods.empty() ? "; no rewrite only when the old type is numeric"
                            : "; no rewrite only when the old type is numeric with precision <= " +
                                  std::to_string(mods[0]) + " and the same scale (" +
                                  std::to_string(mods.size() > 1 ? mods[1] : 0) + ")";
    } else if (base == "inet") {
        note = "; no rewrite only when the old type is cidr";
    } else if (base == "timestamptz") {
        note = f.pg_version >= 120000
                   ? "; from timestamp it skips the rewrite only when the "
                     "session TimeZone is UTC, which the "
                     "linter cannot know"
                   : "; before PostgreSQL 12 (target " + pg_version_text(f.pg_version) +
                         ") timestamp -> timestamptz always rewrites";
    }

    const std::string col = core::quote_ident(column, core::Keywords::quoted);
    const std::string fresh =
        core::quote_ident(truncate_identifier(column + "_new"), core::Keywords::quoted);
    EmitExtras extras = about_table(table);
    extras.rewrite =
        "ALTER TABLE " + tsql + " ADD COLUMN " + fresh + " " + type + ";\n" + "-- keep " + fresh +
        " in step with " + col +
        " (trigger), backfill it in batches, switch readers, then in a later release:\n" +
        "-- ALTER TABLE " + tsql + " DROP COLUMN " + col + "; ALTER TABLE " + tsql +
        " RENAME COLUMN " + fresh + " TO " + col + ";";
    out.emit("changing-column-type",
             "ALTER TABLE " + table + " ALTER COLUMN " + column + " TYPE " + type + " rewrites " +
                 table +
                 " and rebuilds its indexes under ACCESS EXCLUSIVE unless the change is binary "
                 "coercible" +
                 note,
             extras);
}

void check_set_not_null(const ParseTree& relation, const ParseTree& cmd, const FileState& f,
                        Emitter& out) {
    const std::string column = cmd.value("name", "");
    const std::string table = qualified_name(relation);
    if (f.pg_version >= 120000 && f.validated_not_null.count(table + "." + column) != 0) {
        return;  // a validated CHECK (column IS NOT NULL) seen earlier lets it skip the scan
    }
    const std::string tsql = qualified_relation_sql(relation, core::Keywords::quoted);
    const std::string col = core::quote_ident(column, core::Keywords::quoted);
    const std::string check = core::quote_ident(
        truncate_identifier(relation.value("relname", "") + "_" + column + "_not_null"),
        core::Keywords::quoted);
    EmitExtras extras = about_table(table);
    std::string message = "ALTER TABLE " + table + " ALTER COLUMN " + column +
                          " SET NOT NULL scans all of " + table + " under ACCESS EXCLUSIVE";
    if (f.pg_version >= 120000) {
        message += "; from PostgreSQL 12 a validated CHECK (" + column +
                   " IS NOT NULL) lets it skip the scan";
        extras.rewrite = "ALTER TABLE " + tsql + " ADD CONSTRAINT " + check + " CHECK (" + col +
                         " IS NOT NULL) NOT VALID;\n" +
                         "-- in a later migration (takes SHARE UPDATE EXCLUSIVE only):\n" +
                         "ALTER TABLE " + tsql + " VALIDATE CONSTRAINT " + check + ";\n" +
                         "-- then (no scan: the valid CHECK proves it):\n" + "ALTER TABLE " + tsql +
                         " ALTER COLUMN " + col + " SET NOT NULL;\n" + "ALTER TABLE " + tsql +
                         " DROP CONSTRAINT " + check + ";";
    } else {
        message += "; before PostgreSQL 12 (target " + pg_version_text(f.pg_version) +
                   ") it scans even when a validated CHECK proves it";
        extras.rewrite =
            "ALTER TABLE " + tsql + " ADD CONSTRAINT " + check + " CHECK (" + col +
            " IS NOT NULL) NOT VALID;\n" +
            "-- in a later migration (takes SHARE UPDATE EXCLUSIVE only):\n" + "ALTER TABLE " +
            tsql + " VALIDATE CONSTRAINT " + check + ";\n" +
            "-- keep the CHECK instead of SET NOT NULL until the server is on PostgreSQL 12+";
    }
    out.emit("set-not-null", message, extras);
}

}  // namespace

void check_columns(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind != "AlterTableStmt") {
        return;
    }
    if (s.body.value("objtype", "OBJECT_TABLE") != "OBJECT_TABLE") {
        return;  // ALTER INDEX / VIEW / TYPE / FOREIGN TABLE: no table data to rewrite
    }
    const ParseTree& relation = member(s.body, "relation");
    for (const ParseTree* cmd : alter_commands(s.body)) {
        const std::string subtype = cmd->value("subtype", "");
        if (subtype == "AT_AddColumn") {
            check_add_column(relation, *cmd, s.tree_text, f, out);
        } else if (subtype == "AT_AlterColumnType") {
            check_alter_type(relation, *cmd, f, out);
        } else if (subtype == "AT_SetNotNull") {
            check_set_not_null(relation, *cmd, f, out);
        }
    }
}

}  // namespace sm::planner
