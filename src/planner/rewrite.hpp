#pragma once
// Recipes of `safe-migrate rewrite`: a statement that locks a live table for
// long (ALTER COLUMN ... TYPE, SET NOT NULL, ADD FOREIGN KEY / CHECK / UNIQUE /
// PRIMARY KEY, CREATE / DROP INDEX, ADD COLUMN with a volatile DEFAULT, RENAME
// COLUMN, UPDATE of a whole table, DELETE) read with
// PostgreSQL's parser and turned into the migrations that make the same change
// online, each with its phase (expand, backfill, contract), the change it
// belongs to, and a down. Pure: what only the target knows (a column's
// indexes, default, NOT NULL, views) comes in through TargetFacts.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration_source.hpp"

namespace sm::planner {

// One migration of a recipe.
struct RewriteStep {
    std::string name;  // the file name's part after the version: "orders_total_not_null_1_check"
    core::Phase phase = core::Phase::expand;
    bool no_transaction = false;
    // Suppressions the step carries, each a rule id and its reason naming the change
    // (a step destructive by design, such as the contract's DROP COLUMN).
    std::vector<std::pair<std::string, std::string>> allows;
    std::string up;    // statements, each ending ";\n"
    std::string down;  // statements that undo up; "" when nothing can (no down file is written)
};

// What rewrite does with one statement of the file.
struct Rewrite {
    int line = 0;           // where the statement starts in the file
    std::string statement;  // its first line
    std::string change;     // change=NAME of its steps ("" without a recipe)
    std::vector<RewriteStep> steps;
    std::string note;  // why the recipe is needed, when the statement alone does not say ("")
    // Without a recipe: why not, and the way to do it by hand. Empty for a
    // statement that needs none (nothing to say about it).
    std::string no_recipe;
};

// An index on a column, as the target's catalog describes it.
struct ColumnIndex {
    std::string name;
    bool unique = false;
    std::string method;                // "btree"
    std::vector<std::string> columns;  // plain column names, in order
    bool simple = true;  // false: expressions, a predicate, INCLUDE or options: no recipe
};

// What the target says about one column (read by deploy/rewrite.hpp).
struct ColumnFacts {
    bool exists = false;
    std::string type;  // format_type(): "integer"
    bool not_null = false;
    std::string default_sql;  // pg_get_expr of its default, or ""
    bool key = false;  // in the primary key, a unique or exclusion constraint, or a foreign key
    std::vector<ColumnIndex> indexes;
    std::vector<std::string> views;   // views that depend on it
    std::vector<std::string> checks;  // CHECK constraints that use it
};

// The target's answers, or none when rewrite runs without a database.
struct TargetFacts {
    std::function<std::optional<ColumnFacts>(const std::string& schema, const std::string& table,
                                             const std::string& column)>
        column;
    // An index's definition as a statement that builds it CONCURRENTLY, or std::nullopt.
    std::function<std::optional<std::string>(const std::string& schema, const std::string& name)>
        index_def;
    // Whether a function of that name is VOLATILE on the target (any overload),
    // or std::nullopt when the target has no function of that name.
    std::function<std::optional<bool>(const std::string& name)> function_volatile;
};

// Every statement of sql (a migration file's text) with its recipe, or the
// reason it has none. Statements that need no recipe (CREATE TABLE, an index
// built CONCURRENTLY) are listed with empty steps and an empty no_recipe.
// A statement that does not parse throws sm::Error (invalid_input) naming
// file and line.
std::vector<Rewrite> rewrite_sql(const std::string& file, const std::string& sql,
                                 const TargetFacts& facts);

// The text of a step's file, header directives first: phase, change,
// no-transaction, unproven (when unproven), and its suppressions. down: the
// down file's text.
std::string step_file_text(const RewriteStep& step, const std::string& change, bool unproven,
                           bool down);

// True for the lint rules whose findings rewrite turns into steps.
bool rule_has_recipe(std::string_view rule);

}  // namespace sm::planner
