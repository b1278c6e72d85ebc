#pragma once
// Reading libpg_query's JSON parse tree (PostgreSQL 15 node names).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sm::planner {

using json = nlohmann::json;

// j[key] by reference, or a shared empty object when j has no such member (or
// is not an object). Unlike json::value(key, json::object()) it never copies,
// which matters: parse trees are read for every statement of every file.
const json& member(const json& j, const char* key);

// Like member(), with a shared empty array as the default.
const json& member_list(const json& j, const char* key);

// "schema.table" from a RangeVar object; the schema defaults to "public".
std::string qualified_name(const json& range_var);

// The value of a String node ({"String": {"sval": "x"}}) or "" when it is not one.
std::string string_value(const json& node);

// Names in a list of String nodes joined with '.' (e.g. a qualified type name).
std::string dotted_name(const json& list);

// "schema.name" from a DropStmt object (a List of String nodes) without its last
// drop_last names (e.g. 1 for the trigger name of [schema,] table, trigger); the
// schema is "public" when the list does not give one, and "" when nothing is left.
std::string drop_object_name(const json& object, size_t drop_last = 0);

// The subcommands of an AlterTableStmt body: the AlterTableCmd objects.
std::vector<const json*> alter_commands(const json& alter_table_stmt);

// True when a DefElem list contains an option named name.
bool has_option(const json& defelem_list, const std::string& name);

// The first line of sql, shortened to max characters with "..." added.
std::string first_line(const std::string& sql, size_t max = 100);

}  // namespace sm::planner
