// The RENAME COLUMN recipe: expand adds the column under its new name, a
// trigger that keeps the two names in step both ways, a backfill, its indexes
// built CONCURRENTLY and its NOT NULL through a validated CHECK; contract (run
// once no reader or writer uses the old name) drops the trigger and the old
// column and gives the new one the old one's DEFAULT and index names.
#include "core/sql_quote.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rewrite_recipes.hpp"
#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

using core::Phase;
using core::quote_ident;

// The names a rename adds, all derived from the table and the columns.
struct RenameNames {
    const RecipeTable& t;
    std::string old_raw;
    std::string fresh_raw;
    std::string old;       // quoted
    std::string fresh;     // quoted
    std::string function;  // the sync trigger's function, schema-qualified
    std::string trigger;   // quoted
};

// Why the column cannot take the recipe, or "".
std::string rename_refusal(const ColumnFacts& c) {
    if (!c.exists) {
        return "no recipe: the target has no such column";
    }
    if (c.key) {
        return "no recipe for RENAME COLUMN of a key column (primary key, unique, exclusion or "
               "foreign key): its constraints cannot move to a new column online; rename it in a "
               "short migration under lock_timeout once every reader and writer uses the new name "
               "(a view named after the old table can bridge the gap)";
    }
    if (!c.views.empty()) {
        return "no recipe while views depend on the column (" + util::join(c.views, ", ") +
               "); by hand: recreate them on the new column in the contract";
    }
    if (!c.checks.empty()) {
        return "no recipe while CHECK constraints use the column (" + util::join(c.checks, ", ") +
               "); by hand: add them on the new column NOT VALID and validate them before the "
               "contract";
    }
    if (c.default_sql.find("nextval(") != std::string::npos) {
        return "no recipe for a column whose default is a sequence: dropping the old column "
               "drops a sequence it owns; by hand: move the sequence's OWNED BY first";
    }
    return index_refusal(c);
}

// One BEFORE INSERT OR UPDATE row trigger: an INSERT fills whichever name the
// writer left NULL (the new column has no DEFAULT until the contract, so NULL
// there means "not given"); an UPDATE copies the name whose value changed. It
// only assigns NEW, so it never fires itself again.
std::string rename_sync_objects(const RenameNames& x) {
    return "CREATE FUNCTION " + x.function +
           "() RETURNS trigger LANGUAGE plpgsql AS $sm$\nBEGIN\n    IF TG_OP = 'INSERT' THEN\n" +
           "        NEW." + x.fresh + " := coalesce(NEW." + x.fresh + ", NEW." + x.old +
           ");\n        NEW." + x.old + " := NEW." + x.fresh + ";\n    ELSIF NEW." + x.old +
           " IS DISTINCT FROM OLD." + x.old + " THEN\n        NEW." + x.fresh + " := NEW." + x.old +
           ";\n    ELSIF NEW." + x.fresh + " IS DISTINCT FROM OLD." + x.fresh +
           " THEN\n        NEW." + x.old + " := NEW." + x.fresh +
           ";\n    END IF;\n    RETURN NEW;\nEND\n$sm$;\nCREATE TRIGGER " + x.trigger +
           " BEFORE INSERT OR UPDATE ON " + x.t.sql + " FOR EACH ROW EXECUTE FUNCTION " +
           x.function + "();\n";
}

std::string rename_drop_sync(const RenameNames& x) {
    return "DROP TRIGGER IF EXISTS " + x.trigger + " ON " + x.t.sql +
           ";\nDROP FUNCTION IF EXISTS " + x.function + "();\n";
}

std::string renamed_index_name(const ColumnIndex& index) {
    return make_object_name(index.name, "", "sm_ren");
}

RewriteStep rename_index_step(const RenameNames& x, const ColumnFacts& c, size_t n,
                              const std::string& change) {
    std::string up;
    std::string down;
    for (const auto& index : c.indexes) {
        std::vector<std::string> cols;
        for (const auto& col : index.columns) {
            cols.push_back(quote_ident(col == x.old_raw ? x.fresh_raw : col));
        }
        up += "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(renamed_index_name(index)) +
              " ON " + x.t.sql + " USING " + index.method + " (" + util::join(cols, ", ") + ");\n";
        down += "DROP INDEX CONCURRENTLY IF EXISTS " +
                qualified_sql(x.t.schema, renamed_index_name(index)) + ";\n";
    }
    RewriteStep s = recipe_step(change, n, "indexes", Phase::expand, up, down);
    s.no_transaction = true;
    return s;
}

// Drops the trigger and the old column (its indexes go with it), then gives
// the new column the old one's DEFAULT and its indexes the old names.
RewriteStep rename_contract_step(const RenameNames& x, const ColumnFacts& c, size_t n,
                                 const std::string& change) {
    std::string up = rename_drop_sync(x) + alter_table(x.t, "DROP COLUMN " + x.old);
    std::string down = "-- the old column comes back filled from the new one\n" +
                       alter_table(x.t, "ADD COLUMN " + x.old + " " + c.type);
    if (!c.default_sql.empty()) {
        up += alter_table(x.t, "ALTER COLUMN " + x.fresh + " SET DEFAULT " + c.default_sql);
        down += alter_table(x.t, "ALTER COLUMN " + x.fresh + " DROP DEFAULT") +
                alter_table(x.t, "ALTER COLUMN " + x.old + " SET DEFAULT " + c.default_sql);
    }
    for (const auto& index : c.indexes) {
        up += "ALTER INDEX " + qualified_sql(x.t.schema, renamed_index_name(index)) +
              " RENAME TO " + quote_ident(index.name) + ";\n";
        down += "ALTER INDEX " + qualified_sql(x.t.schema, index.name) + " RENAME TO " +
                quote_ident(renamed_index_name(index)) + ";\n";
    }
    down +=
        rename_sync_objects(x) + "UPDATE " + x.t.sql + " SET " + x.old + " = " + x.fresh + ";\n";
    RewriteStep s = recipe_step(change, n, "drop_old", Phase::contract, up, down);
    s.allows.emplace_back("ban-drop-column", "contract of change " + change +
                                                 ": the column lives on as " + x.fresh_raw +
                                                 ", kept in step by the trigger until now");
    return s;
}

}  // namespace

void recipe_rename_column(const RecipeInput& in, Rewrite& out) {
    std::string column = in.stmt.value("subname", "");
    std::string fresh = in.stmt.value("newname", "");
    if (!in.facts.column) {
        out.no_recipe =
            "no recipe without the target: the column's type, indexes, default and NOT NULL "
            "decide the steps; run safe-migrate rewrite with --database-url URL (or a "
            "configured target)";
        return;
    }
    ColumnFacts c = in.facts.column(in.table.schema, in.table.name, column).value_or(ColumnFacts{});
    if (std::string refusal = rename_refusal(c); !refusal.empty()) {
        out.no_recipe = refusal;
        return;
    }
    out.change = change_name({in.table.name, column, "rename"});
    std::string sync = make_object_name(in.table.name, column, "sm_sync");
    RenameNames x{in.table,
                  column,
                  fresh,
                  quote_ident(column),
                  quote_ident(fresh),
                  qualified_sql(in.table.schema, sync),
                  quote_ident(sync)};
    size_t n = 0;
    out.steps.push_back(recipe_step(
        out.change, ++n, "add", Phase::expand,
        alter_table(x.t, "ADD COLUMN " + x.fresh + " " + c.type) + rename_sync_objects(x),
        rename_drop_sync(x) + alter_table(x.t, "DROP COLUMN IF EXISTS " + x.fresh)));
    out.steps.push_back(
        recipe_step(out.change, ++n, "backfill", Phase::backfill,
                    "UPDATE " + x.t.sql + " SET " + x.fresh + " = " + x.old + " WHERE " + x.fresh +
                        " IS DISTINCT FROM " + x.old + ";\n",
                    nothing_to_undo("the new column is dropped by the first step's down")));
    if (c.not_null) {
        for (auto& step : not_null_steps(x.t, fresh, out.change, n + 1)) {
            out.steps.push_back(std::move(step));
        }
        n += 3;
    }
    if (!c.indexes.empty()) {
        out.steps.push_back(rename_index_step(x, c, ++n, out.change));
    }
    out.steps.push_back(rename_contract_step(x, c, ++n, out.change));
}

}  // namespace sm::planner
