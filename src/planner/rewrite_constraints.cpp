// The recipes of statements that need no new column: SET NOT NULL, ADD CHECK /
// FOREIGN KEY, ADD UNIQUE / PRIMARY KEY, CREATE / DROP INDEX, and an UPDATE of
// a whole table.
#include <regex>

#include "core/sql_quote.hpp"
#include "planner/backfill_statement.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rewrite_recipes.hpp"
#include "planner/rule_support.hpp"
#include "planner/rules/constraint_rewrite.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

using core::Phase;
using core::quote_ident;

std::vector<std::string> rw_string_list(const ParseTree& list) {
    std::vector<std::string> out;
    for (const auto& item : list) {
        out.push_back(string_value(item));
    }
    return out;
}

// The distinct columns a CHECK expression names, as PostgreSQL names an
// unnamed check after the one column it mentions.
void rw_column_refs(const ParseTree& node, std::vector<std::string>& out) {
    if (node.is_object() && node.contains("ColumnRef")) {
        std::string col = string_value(member_list(node["ColumnRef"], "fields").back());
        if (std::find(out.begin(), out.end(), col) == out.end()) {
            out.push_back(col);
        }
        return;
    }
    if (node.is_object() || node.is_array()) {
        for (const auto& child : node) {
            rw_column_refs(child, out);
        }
    }
}

std::string rw_drop_constraint(const RecipeTable& t, const std::string& name) {
    return alter_table(t, "DROP CONSTRAINT IF EXISTS " + quote_ident(name));
}

}  // namespace

std::vector<std::string> not_null_check_names(const RecipeTable& table,
                                              const std::vector<std::string>& columns) {
    std::vector<std::string> names;
    names.reserve(columns.size());
    for (const auto& col : columns) {
        names.push_back(make_object_name(table.name, col, "not_null"));
    }
    return names;
}

std::vector<RewriteStep> not_null_steps(const RecipeTable& t, const std::string& column,
                                        const std::string& change, size_t first) {
    std::string check = not_null_check_names(t, {column})[0];
    std::string col = quote_ident(column);
    std::vector<RewriteStep> steps;
    steps.push_back(recipe_step(change, first, "check", Phase::expand,
                                alter_table(t, "ADD CONSTRAINT " + quote_ident(check) + " CHECK (" +
                                                   col + " IS NOT NULL) NOT VALID"),
                                rw_drop_constraint(t, check)));
    steps.push_back(recipe_step(change, first + 1, "validate", Phase::expand,
                                alter_table(t, "VALIDATE CONSTRAINT " + quote_ident(check)),
                                nothing_to_undo("VALIDATE only checks the rows")));
    RewriteStep set = recipe_step(
        change, first + 2, "set", Phase::expand,
        alter_table(t, "ALTER COLUMN " + col + " SET NOT NULL") + rw_drop_constraint(t, check),
        alter_table(t, "ALTER COLUMN " + col + " DROP NOT NULL"));
    set.allows.emplace_back("set-not-null", "change " + change + ": the CHECK validated by " +
                                                steps[1].name + " proves it, no scan");
    steps.push_back(std::move(set));
    return steps;
}

void recipe_set_not_null(const RecipeInput& in, const std::string& column, Rewrite& out) {
    out.change = change_name({in.table.name, column, "not_null"});
    out.steps = not_null_steps(in.table, column, out.change, 1);
}

void recipe_not_valid(const RecipeInput& in, const ParseTree& con, Rewrite& out) {
    if (con.value("skip_validation", false)) {
        return;  // already NOT VALID: the safe form
    }
    AlterLayout layout = alter_layout(in.text, 1);
    if (!layout.ok) {
        out.no_recipe = "no recipe: the statement's text could not be split into its subcommand";
        return;
    }
    std::string name = con.value("conname", "");
    bool fk = con.value("contype", "") == "CONSTR_FOREIGN";
    if (name.empty() && fk) {
        name = make_object_name(
            in.table.name, util::join(rw_string_list(member_list(con, "fk_attrs")), "_"), "fkey");
    } else if (name.empty()) {
        std::vector<std::string> cols;
        rw_column_refs(member(con, "raw_expr"), cols);
        name = make_object_name(in.table.name, cols.size() == 1 ? cols[0] : "", "check");
    }
    out.change = change_name({name});
    out.steps.push_back(
        recipe_step(out.change, 1, "not_valid", Phase::expand,
                    statement_text(layout.with_piece(
                        0, name_constraint_piece(layout.pieces[0], name) + " NOT VALID")) +
                        ";\n",
                    rw_drop_constraint(in.table, name)));
    out.steps.push_back(
        recipe_step(out.change, 2, "validate", Phase::expand,
                    alter_table(in.table, "VALIDATE CONSTRAINT " + quote_ident(name)),
                    nothing_to_undo("VALIDATE only checks the rows")));
}

void recipe_unique(const RecipeInput& in, const ParseTree& con, Rewrite& out) {
    if (!con.value("indexname", "").empty()) {
        return;  // USING INDEX: the safe form
    }
    if (!member_list(con, "including").empty() || con.value("nulls_not_distinct", false) ||
        con.value("deferrable", false) || !member_list(con, "options").empty()) {
        out.no_recipe =
            "no recipe for INCLUDE, NULLS NOT DISTINCT, DEFERRABLE or WITH (...); by hand: "
            "CREATE UNIQUE INDEX CONCURRENTLY with them, then ADD CONSTRAINT ... USING INDEX";
        return;
    }
    const RecipeTable& t = in.table;
    bool primary = con.value("contype", "") == "CONSTR_PRIMARY";
    std::vector<std::string> keys = rw_string_list(member_list(con, "keys"));
    std::string name = con.value("conname", "");
    if (name.empty()) {
        name = primary ? make_object_name(t.name, "", "pkey")
                       : make_object_name(t.name, util::join(keys, "_"), "key");
    }
    out.change = change_name({name});
    size_t n = 0;
    std::vector<std::string> checks =
        primary ? not_null_check_names(t, keys) : std::vector<std::string>{};
    if (primary) {  // NOT NULL first, proven by validated checks, so the key adds no scan
        std::string add;
        std::string drop;
        for (size_t i = 0; i < keys.size(); ++i) {
            add += alter_table(t, "ADD CONSTRAINT " + quote_ident(checks[i]) + " CHECK (" +
                                      quote_ident(keys[i]) + " IS NOT NULL) NOT VALID");
            drop += rw_drop_constraint(t, checks[i]);
        }
        out.steps.push_back(recipe_step(out.change, ++n, "checks", Phase::expand, add, drop));
        std::string validate;
        for (const auto& c : checks) {
            validate += alter_table(t, "VALIDATE CONSTRAINT " + quote_ident(c));
        }
        out.steps.push_back(recipe_step(out.change, ++n, "validate", Phase::expand, validate,
                                        nothing_to_undo("VALIDATE only checks the rows")));
    }
    std::string index = qualified_sql(t.schema, name);
    RewriteStep build =
        recipe_step(out.change, ++n, "index", Phase::expand,
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(name) + " ON " +
                        t.sql + " " + column_list_sql(keys) + ";\n",
                    "DROP INDEX CONCURRENTLY IF EXISTS " + index + ";\n");
    build.no_transaction = true;
    out.steps.push_back(std::move(build));
    std::string attach = alter_table(t, "ADD CONSTRAINT " + quote_ident(name) +
                                            (primary ? " PRIMARY KEY" : " UNIQUE") +
                                            " USING INDEX " + quote_ident(name));
    for (const auto& c : checks) {
        attach += rw_drop_constraint(t, c);
    }
    out.steps.push_back(recipe_step(out.change, ++n, "constraint", Phase::expand, attach,
                                    rw_drop_constraint(t, name)));
}

void recipe_create_index(const RecipeInput& in, Rewrite& out) {
    std::string idxname = in.stmt.value("idxname", "");
    if (idxname.empty()) {
        out.no_recipe =
            "no recipe for an index without a name (a retry could not find it); name "
            "it and run safe-migrate rewrite again";
        return;
    }
    static const std::regex k_head(R"(^(\s*CREATE\s+(UNIQUE\s+)?INDEX)(\s+IF\s+NOT\s+EXISTS)?\s)",
                                   std::regex::icase);
    std::smatch m;
    if (!std::regex_search(in.text, m, k_head)) {
        out.no_recipe = "no recipe: the statement's text could not be read";
        return;
    }
    out.change = change_name({idxname});
    std::string up = m[1].str() + " CONCURRENTLY IF NOT EXISTS " + in.text.substr(m[0].length());
    RewriteStep s = recipe_step(
        out.change, 1, "create", Phase::expand, up + ";\n",
        "DROP INDEX CONCURRENTLY IF EXISTS " + qualified_sql(in.table.schema, idxname) + ";\n");
    s.no_transaction = true;
    out.steps.push_back(std::move(s));
}

void recipe_drop_index(const ParseTree& drop, const TargetFacts& facts, Rewrite& out) {
    const ParseTree& objects = member_list(drop, "objects");
    if (objects.size() != 1 || drop.value("behavior", "") == "DROP_CASCADE") {
        out.no_recipe =
            "no recipe for DROP INDEX of several indexes or with CASCADE; by hand: "
            "one DROP INDEX CONCURRENTLY per index, each its own no-transaction "
            "migration";
        return;
    }
    const ParseTree& names = member_list(objects[0], "List").empty()
                                 ? member_list(objects[0], "items")
                                 : member_list(objects[0]["List"], "items");
    std::vector<std::string> parts = rw_string_list(names);
    std::string schema = parts.size() > 1 ? parts[0] : "public";
    std::string name = parts.empty() ? "" : parts.back();
    out.change = change_name({name, "drop"});
    std::string down =
        "-- the index's definition was not known (no database): recreate it by "
        "hand\nSELECT 1;\n";
    if (facts.index_def) {
        if (auto def = facts.index_def(schema, name)) {
            down = *def + ";\n";
        }
    }
    RewriteStep s =
        recipe_step(out.change, 1, "drop", Phase::expand,
                    "DROP INDEX CONCURRENTLY IF EXISTS " + names_sql(names) + ";\n", down);
    s.no_transaction = true;
    out.steps.push_back(std::move(s));
}

void recipe_delete(const RecipeInput& in, Rewrite& out) {
    BackfillParse parsed = parse_backfill_statement(in.text);
    if (!parsed.statement) {
        out.no_recipe = "no recipe: " + parsed.problem +
                        "; by hand: delete in batches on key ranges of the primary key, each "
                        "batch its own transaction";
        return;
    }
    out.change = change_name({in.table.name, "delete"});
    // No down: the rows it deletes cannot come back, and rollback refuses a
    // migration without a down file before it runs anything.
    out.steps.push_back(
        recipe_step(out.change, 1, "backfill", Phase::backfill, in.text + ";\n", ""));
}

void recipe_whole_table_update(const RecipeInput& in, Rewrite& out) {
    out.change = change_name({in.table.name, "update"});
    out.steps.push_back(
        recipe_step(out.change, 1, "backfill", Phase::backfill, in.text + ";\n",
                    nothing_to_undo("the rows the backfill changed keep their new values")));
}

}  // namespace sm::planner
