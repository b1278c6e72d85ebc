// The ALTER COLUMN ... TYPE recipe: a new column kept in step by a trigger,
// backfilled in batches, its indexes built CONCURRENTLY, a short swap under
// lock_timeout (after which the trigger keeps the old column in step), and the
// old column and the trigger dropped in the contract phase.
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

// The names a type change adds, all derived from the table and the column.
struct TypeChange {
    const RecipeTable& t;
    std::string column;    // quoted
    std::string fresh;     // the new column, quoted
    std::string old;       // the old column after the swap, quoted
    std::string function;  // the sync trigger's function, schema-qualified
    std::string trigger;   // quoted
    std::string type;      // the new type, as SQL
    std::string check;     // the NOT NULL check of the new column (unquoted)
};

// Why the column cannot take the recipe, or "".
std::string type_change_refusal(const ColumnFacts& c, const ParseTree& def) {
    if (!c.exists) {
        return "no recipe: the target has no such column";
    }
    if (def.contains("raw_default")) {
        return "no recipe for ALTER COLUMN ... TYPE ... USING; by hand: the same steps with the "
               "USING expression in the sync trigger and the backfill";
    }
    if (c.key) {
        return "no recipe for a key column (primary key, unique, exclusion or foreign key); by "
               "hand: build its unique index CONCURRENTLY and re-add referencing foreign keys NOT "
               "VALID, then validate them";
    }
    if (!c.views.empty()) {
        return "no recipe while views depend on the column (" + util::join(c.views, ", ") +
               "); by hand: recreate them in the swap";
    }
    if (c.default_sql.find("nextval(") != std::string::npos) {
        return "no recipe for a column whose default is a sequence; by hand: move the sequence's "
               "OWNED BY to the new column in the swap";
    }
    return index_refusal(c);
}

std::string sync_objects(const TypeChange& x) {
    return "CREATE FUNCTION " + x.function +
           "() RETURNS trigger LANGUAGE plpgsql AS $sm$\nBEGIN\n    NEW." + x.fresh + " := NEW." +
           x.column + ";\n    RETURN NEW;\nEND\n$sm$;\nCREATE TRIGGER " + x.trigger +
           " BEFORE INSERT OR UPDATE ON " + x.t.sql + " FOR EACH ROW EXECUTE FUNCTION " +
           x.function + "();\n";
}

// After the swap the trigger runs the other way, so the old column (the
// swap's down renames it back into place) keeps every write until the
// contract drops both. A value the old type cannot hold is stored as NULL
// rather than failing the application's write.
std::string back_sync_objects(const TypeChange& x) {
    return "CREATE FUNCTION " + x.function +
           "() RETURNS trigger LANGUAGE plpgsql AS $sm$\nBEGIN\n    BEGIN\n        NEW." + x.old +
           " := NEW." + x.column + ";\n    EXCEPTION WHEN others THEN\n        NEW." + x.old +
           " := NULL;\n    END;\n    RETURN NEW;\nEND\n$sm$;\nCREATE TRIGGER " + x.trigger +
           " BEFORE INSERT OR UPDATE ON " + x.t.sql + " FOR EACH ROW EXECUTE FUNCTION " +
           x.function + "();\n";
}

std::string drop_sync_objects(const TypeChange& x) {
    return "DROP TRIGGER IF EXISTS " + x.trigger + " ON " + x.t.sql +
           ";\nDROP FUNCTION IF EXISTS " + x.function + "();\n";
}

std::string new_index_name(const ColumnIndex& index) {
    return make_object_name(index.name, "", "sm_new");
}

RewriteStep index_step(const TypeChange& x, const ColumnFacts& c, const std::string& raw_column,
                       const std::string& fresh_raw, size_t n, const std::string& change) {
    std::string up;
    std::string down;
    for (const auto& index : c.indexes) {
        std::vector<std::string> cols;
        for (const auto& col : index.columns) {
            cols.push_back(quote_ident(col == raw_column ? fresh_raw : col));
        }
        up += "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(new_index_name(index)) +
              " ON " + x.t.sql + " USING " + index.method + " (" + util::join(cols, ", ") + ");\n";
        down += "DROP INDEX CONCURRENTLY IF EXISTS " +
                qualified_sql(x.t.schema, new_index_name(index)) + ";\n";
    }
    RewriteStep s = recipe_step(change, n, "indexes", Phase::expand, up, down);
    s.no_transaction = true;
    return s;
}

// Renames, defaults and NOT NULL, all in one short transaction; the down undoes it.
RewriteStep swap_step(const TypeChange& x, const ColumnFacts& c, size_t n,
                      const std::string& change) {
    std::string up = drop_sync_objects(x);
    std::string down;
    if (!c.default_sql.empty()) {
        up += alter_table(x.t, "ALTER COLUMN " + x.column + " DROP DEFAULT");
    }
    if (c.not_null) {
        up += alter_table(x.t, "ALTER COLUMN " + x.column + " DROP NOT NULL");
    }
    up += alter_table(x.t, "RENAME COLUMN " + x.column + " TO " + x.old) +
          alter_table(x.t, "RENAME COLUMN " + x.fresh + " TO " + x.column);
    down += alter_table(x.t, "RENAME COLUMN " + x.column + " TO " + x.fresh) +
            alter_table(x.t, "RENAME COLUMN " + x.old + " TO " + x.column);
    if (!c.default_sql.empty()) {
        up += alter_table(x.t, "ALTER COLUMN " + x.column + " SET DEFAULT " + c.default_sql);
        down += alter_table(x.t, "ALTER COLUMN " + x.column + " SET DEFAULT " + c.default_sql);
    }
    if (c.not_null) {
        up += alter_table(x.t, "ALTER COLUMN " + x.column + " SET NOT NULL") +
              alter_table(x.t, "DROP CONSTRAINT IF EXISTS " + quote_ident(x.check));
        down += alter_table(x.t, "ALTER COLUMN " + x.column + " SET NOT NULL");
    }
    for (const auto& index : c.indexes) {
        std::string old_name = make_object_name(index.name, "", "sm_old");
        up += "ALTER INDEX " + qualified_sql(x.t.schema, index.name) + " RENAME TO " +
              quote_ident(old_name) + ";\nALTER INDEX " +
              qualified_sql(x.t.schema, new_index_name(index)) + " RENAME TO " +
              quote_ident(index.name) + ";\n";
        down += "ALTER INDEX " + qualified_sql(x.t.schema, index.name) + " RENAME TO " +
                quote_ident(new_index_name(index)) + ";\nALTER INDEX " +
                qualified_sql(x.t.schema, old_name) + " RENAME TO " + quote_ident(index.name) +
                ";\n";
    }
    up += back_sync_objects(x);
    down = drop_sync_objects(x) + down + sync_objects(x);
    RewriteStep s = recipe_step(change, n, "swap", Phase::expand, up, down);
    s.allows.emplace_back("renaming-column",
                          "change " + change + ": the swap renames the new column into place");
    if (c.not_null) {
        s.allows.emplace_back("set-not-null",
                              "change " + change + ": a validated CHECK proves it, no scan");
    }
    return s;
}

}  // namespace

void recipe_alter_type(const RecipeInput& in, const ParseTree& command, Rewrite& out) {
    std::string column = command.value("name", "");
    const ParseTree& def = member(member(command, "def"), "ColumnDef");
    if (!in.facts.column) {
        out.no_recipe =
            "no recipe without the target: the column's indexes, default and NOT "
            "NULL decide the steps; run safe-migrate rewrite with --database-url URL "
            "(or a configured target)";
        return;
    }
    ColumnFacts c = in.facts.column(in.table.schema, in.table.name, column).value_or(ColumnFacts{});
    if (std::string refusal = type_change_refusal(c, def); !refusal.empty()) {
        out.no_recipe = refusal;
        return;
    }
    out.change = change_name({in.table.name, column, "type"});
    std::string fresh_raw = truncate_identifier("_sm_new_" + column);
    TypeChange x{in.table,
                 quote_ident(column),
                 quote_ident(fresh_raw),
                 quote_ident(truncate_identifier("_sm_old_" + column)),
                 qualified_sql(in.table.schema, make_object_name(in.table.name, column, "sm_sync")),
                 quote_ident(make_object_name(in.table.name, column, "sm_sync")),
                 type_sql(member(def, "typeName")),
                 make_object_name(in.table.name, fresh_raw, "not_null")};
    size_t n = 0;
    out.steps.push_back(
        recipe_step(out.change, ++n, "add", Phase::expand,
                    alter_table(x.t, "ADD COLUMN " + x.fresh + " " + x.type) + sync_objects(x),
                    drop_sync_objects(x) + alter_table(x.t, "DROP COLUMN IF EXISTS " + x.fresh)));
    out.steps.push_back(
        recipe_step(out.change, ++n, "backfill", Phase::backfill,
                    "UPDATE " + x.t.sql + " SET " + x.fresh + " = " + x.column + " WHERE " +
                        x.fresh + " IS NULL AND " + x.column + " IS NOT NULL;\n",
                    nothing_to_undo("the new column is dropped by the first step's down")));
    if (c.not_null) {
        out.steps.push_back(
            recipe_step(out.change, ++n, "check", Phase::expand,
                        alter_table(x.t, "ADD CONSTRAINT " + quote_ident(x.check) + " CHECK (" +
                                             x.fresh + " IS NOT NULL) NOT VALID"),
                        alter_table(x.t, "DROP CONSTRAINT IF EXISTS " + quote_ident(x.check))));
        out.steps.push_back(
            recipe_step(out.change, ++n, "validate", Phase::expand,
                        alter_table(x.t, "VALIDATE CONSTRAINT " + quote_ident(x.check)),
                        nothing_to_undo("VALIDATE only checks the rows")));
    }
    if (!c.indexes.empty()) {
        out.steps.push_back(index_step(x, c, column, fresh_raw, ++n, out.change));
    }
    out.steps.push_back(swap_step(x, c, ++n, out.change));
    RewriteStep drop = recipe_step(out.change, ++n, "drop_old", Phase::contract,
                                   drop_sync_objects(x) + alter_table(x.t, "DROP COLUMN " + x.old),
                                   "-- the old column's values are gone: it comes back empty\n" +
                                       alter_table(x.t, "ADD COLUMN " + x.old + " " + c.type) +
                                       back_sync_objects(x));
    drop.allows.emplace_back("ban-drop-column", "contract of change " + out.change +
                                                    ": the old column was replaced by the swap");
    out.steps.push_back(std::move(drop));
}

}  // namespace sm::planner
