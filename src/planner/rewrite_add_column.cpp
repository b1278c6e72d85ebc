// The ADD COLUMN recipe: a column with a volatile DEFAULT (or NOT NULL with
// one) is added nullable with no value stored, its DEFAULT set for new rows,
// the existing rows backfilled in batches, then NOT NULL through a validated
// CHECK when the statement asked for it.
#include "core/sql_quote.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rewrite_recipes.hpp"
#include "planner/rule_support.hpp"
#include "planner/rules/column_expr.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

using core::Phase;
using core::quote_ident;

// What the statement's column definition asks for.
struct AddedColumnDef {
    std::string name;
    std::string type;  // as SQL
    bool not_null = false;
    const ParseTree* default_expr = nullptr;
    std::string other;  // a constraint or clause the recipe does not carry ("UNIQUE"), or ""
};

AddedColumnDef added_column_def(const ParseTree& def) {
    AddedColumnDef a;
    a.name = def.value("colname", "");
    a.type = type_sql(member(def, "typeName"));
    static const std::pair<const char*, const char*> k_others[] = {
        {"CONSTR_PRIMARY", "PRIMARY KEY"},
        {"CONSTR_UNIQUE", "UNIQUE"},
        {"CONSTR_CHECK", "CHECK"},
        {"CONSTR_FOREIGN", "REFERENCES"},
        {"CONSTR_GENERATED", "GENERATED ALWAYS"},
        {"CONSTR_IDENTITY", "GENERATED ... AS IDENTITY"},
        {"CONSTR_EXCLUSION", "EXCLUDE"},
    };
    for (const auto& item : member_list(def, "constraints")) {
        const ParseTree& con = member(item, "Constraint");
        std::string type = con.value("contype", "");
        if (type == "CONSTR_NOTNULL") {
            a.not_null = true;
        } else if (type == "CONSTR_DEFAULT") {
            a.default_expr = &member(con, "raw_expr");
        }
        for (const auto& [contype, what] : k_others) {
            if (type == contype && a.other.empty()) {
                a.other = what;
            }
        }
    }
    if (def.contains("collClause") && a.other.empty()) {
        a.other = "COLLATE";
    }
    return a;
}

// Whether expr is evaluated per row, and why, in words: the target's pg_proc
// decides each function it knows; the linter's list decides the others.
Volatility default_volatility(const ParseTree& expr, const TargetFacts& facts, std::string& why) {
    std::vector<std::string> fns;
    called_functions(expr, fns);
    bool all_known = static_cast<bool>(facts.function_volatile);
    for (const auto& fn : fns) {
        std::optional<bool> on_target =
            facts.function_volatile ? facts.function_volatile(fn) : std::nullopt;
        if (on_target.value_or(false)) {
            why = fn + "() is VOLATILE (pg_proc on the target)";
            return {true, fn, true};
        }
        all_known = all_known && on_target.has_value();
    }
    if (all_known) {
        return {};
    }
    Volatility v = volatility(expr);
    if (v.is_volatile) {
        why = v.known ? v.function + "() is volatile (the linter's list of volatile functions)"
                      : v.function + "() is not known to be stable, so it counts as volatile";
    }
    return v;
}

}  // namespace

void recipe_add_column(const RecipeInput& in, const ParseTree& command, Rewrite& out) {
    AddedColumnDef a = added_column_def(member(member(command, "def"), "ColumnDef"));
    std::string why;
    bool per_row = a.default_expr != nullptr && !is_null_const(*a.default_expr) &&
                   default_volatility(*a.default_expr, in.facts, why).is_volatile;
    bool has_default = a.default_expr != nullptr && !is_null_const(*a.default_expr);
    if (a.not_null && !has_default) {
        out.no_recipe =
            "no recipe for ADD COLUMN ... NOT NULL without a DEFAULT: existing rows have no value "
            "to take; give the column a DEFAULT (a constant makes ADD COLUMN ... NOT NULL DEFAULT "
            "<constant> catalog-only, a volatile one gets the backfill recipe), or add it "
            "nullable, fill it, and use the SET NOT NULL recipe";
        return;
    }
    if (!per_row) {
        return;  // a constant or stable DEFAULT, or none: catalog-only, no recipe needed
    }
    if (!a.other.empty() || command.value("missing_ok", false)) {
        out.no_recipe = "no recipe for ADD COLUMN with " +
                        (a.other.empty() ? std::string("IF NOT EXISTS") : a.other) +
                        " and a volatile DEFAULT; add the column with only its type and DEFAULT, "
                        "and the rest with its own statement, then run safe-migrate rewrite again";
        return;
    }
    std::optional<std::string> expr = expr_sql(*a.default_expr, in.text);
    if (!expr) {
        out.no_recipe =
            "no recipe: the DEFAULT expression could not be read back; by hand: add the column "
            "nullable, SET DEFAULT, backfill it in a phase=backfill migration, then SET NOT NULL";
        return;
    }
    const RecipeTable& t = in.table;
    std::string col = quote_ident(a.name);
    out.change = change_name({t.name, a.name, "add"});
    out.note = "the DEFAULT is evaluated per row: " + why;
    out.steps.push_back(recipe_step(
        out.change, 1, "add", Phase::expand,
        "-- " + why + ": added without a stored value; new rows take the DEFAULT,\n-- " +
            "the backfill fills the rows that exist\n" +
            alter_table(t, "ADD COLUMN " + col + " " + a.type) +
            alter_table(t, "ALTER COLUMN " + col + " SET DEFAULT " + *expr),
        alter_table(t, "DROP COLUMN IF EXISTS " + col)));
    out.steps.push_back(recipe_step(
        out.change, 2, "backfill", Phase::backfill,
        "UPDATE " + t.sql + " SET " + col + " = " + *expr + " WHERE " + col + " IS NULL;\n",
        nothing_to_undo("the column is dropped by the first step's down")));
    if (a.not_null) {
        for (auto& step : not_null_steps(t, a.name, out.change, 3)) {
            out.steps.push_back(std::move(step));
        }
    }
}

}  // namespace sm::planner
