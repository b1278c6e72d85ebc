#pragma once
// Reading libpg_query's JSON parse tree (PostgreSQL 15 node names).

#include <string>
#include <vector>

#include "planner/parse_tree.hpp"

namespace sm::planner {

// j[key] by reference, or a shared empty object when j has no such member (or
// is not an object).
const ParseTree& member(const ParseTree& j, const char* key);

// Like member(), with a shared empty array as the default.
const ParseTree& member_list(const ParseTree& j, const char* key);

// "schema.table" from a RangeVar object; the schema defaults to "public".
std::string qualified_name(const ParseTree& range_var);

// The value of a String node ({"String": {"sval": "x"}}) or "" when it is not one.
std::string string_value(const ParseTree& node);

// Names in a list of String nodes joined with '.' (e.g. a qualified type name).
std::string dotted_name(const ParseTree& list);

// "schema.name" from a DropStmt object (a List of String nodes) without its last
// drop_last names (e.g. 1 for the trigger name of [schema,] table, trigger); the
// schema is "public" when the list does not give one, and "" when nothing is left.
std::string drop_object_name(const ParseTree& object, size_t drop_last = 0);

// The subcommands of an AlterTableStmt body: the AlterTableCmd objects.
std::vector<const ParseTree*> alter_commands(const ParseTree& alter_table_stmt);

// True when a DefElem list contains an option named name.
bool has_option(const ParseTree& defelem_list, const std::string& name);

// The first line of sql, shortened to max characters with "..." added.
std::string first_line(const std::string& sql, size_t max = 100);

}  // namespace sm::planner
