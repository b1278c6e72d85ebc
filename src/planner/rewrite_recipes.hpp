#pragma once
// The recipes behind planner/rewrite.hpp, one small function each, and what
// they share. Internal to the planner.

#include <string>
#include <vector>

#include "planner/parse_tree.hpp"
#include "planner/rewrite.hpp"

namespace sm::planner {

// The table a statement names, and how the new statements name it.
struct RecipeTable {
    std::string schema;  // "public" when the statement gave none
    std::string name;
    std::string sql;  // as the statement wrote it, quoted where needed: orders, app."Orders"
};

// What every recipe reads: the statement, its text, its table and the target's answers.
struct RecipeInput {
    const ParseTree& stmt;    // the statement node's body (the AlterTableStmt object, ...)
    const std::string& text;  // the statement's text, without the final semicolon
    RecipeTable table;
    const TargetFacts& facts;
};

// A step of change: its name is the change's, then "_<n>_<what>".
RewriteStep recipe_step(const std::string& change, size_t n, const std::string& what,
                        core::Phase phase, std::string up, std::string down);

// "ALTER TABLE <t> <rest>;\n".
std::string alter_table(const RecipeTable& t, const std::string& rest);

// Why a recipe that copies column c to a new column cannot rebuild its
// indexes (a unique, expression or partial one), or "" when it can.
std::string index_refusal(const ColumnFacts& c);

// A down that has nothing to undo, saying why.
std::string nothing_to_undo(const std::string& why);

// "orders_total_not_null": letters, digits and '_' of the parts, lower-cased, joined by '_'.
std::string change_name(const std::vector<std::string>& parts);

// The recipes. Each fills out.change and out.steps, or out.no_recipe.
void recipe_set_not_null(const RecipeInput& in, const std::string& column, Rewrite& out);
void recipe_not_valid(const RecipeInput& in, const ParseTree& constraint, Rewrite& out);
void recipe_unique(const RecipeInput& in, const ParseTree& constraint, Rewrite& out);
void recipe_create_index(const RecipeInput& in, Rewrite& out);
void recipe_drop_index(const ParseTree& drop, const TargetFacts& facts, Rewrite& out);
void recipe_whole_table_update(const RecipeInput& in, Rewrite& out);
void recipe_alter_type(const RecipeInput& in, const ParseTree& command, Rewrite& out);
void recipe_add_column(const RecipeInput& in, const ParseTree& command, Rewrite& out);
// in.stmt is the RenameStmt.
void recipe_rename_column(const RecipeInput& in, Rewrite& out);
// A DELETE (with or without WHERE) as one backfill step without a down.
void recipe_delete(const RecipeInput& in, Rewrite& out);

// The SET NOT NULL recipe's three steps for column of t, numbered from first in change.
std::vector<RewriteStep> not_null_steps(const RecipeTable& t, const std::string& column,
                                        const std::string& change, size_t first);

// The statements that add and validate "CHECK (column IS NOT NULL)" for each of
// columns, and that set them NOT NULL and drop the checks: the SET NOT NULL
// recipe's pieces, shared with ADD PRIMARY KEY. Names of the checks in order.
std::vector<std::string> not_null_check_names(const RecipeTable& table,
                                              const std::vector<std::string>& columns);

}  // namespace sm::planner
