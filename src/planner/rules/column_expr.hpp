#pragma once
// Reading the types and expressions of column definitions for the "columns"
// rule family (columns.cpp): type names and DEFAULT or generation expressions
// back to SQL for messages and rewrites, and whether a DEFAULT is volatile.
// Internal to planner/rules.

#include <optional>
#include <string>
#include <vector>

#include "planner/parse_helpers.hpp"

namespace sm::planner {

// The last component of a qualified name list, lower-cased ("pg_catalog.int4" ->
// "int4"); "" when names is not a non-empty list.
std::string last_name(const ParseTree& names);

// A TypeName's integer modifiers ("numeric(10,2)" -> {10, 2}); modifiers that
// are not integer constants are left out.
std::vector<long long> typmods(const ParseTree& type_name);

// A TypeName as SQL ("integer", "varchar(20)", "numeric(10,2)", "text[]"), with
// pg_catalog's internal names spelled as SQL writes them (int4 -> integer).
std::string type_sql(const ParseTree& type_name);

// A small deparser for the expressions usually found in a DEFAULT or a
// generation expression: constants, casts, plain function calls, SQL value
// functions (CURRENT_TIMESTAMP ...), column references and operators.
// std::nullopt for anything else. sql is the text the node's locations index.
std::optional<std::string> expr_sql(const ParseTree& node, const std::string& sql);

struct Volatility {
    bool is_volatile = false;
    std::string function;  // the function that makes it so
    bool known = true;     // false when the linter does not know the function
};

// Whether a DEFAULT expression is evaluated per row. A function known to be
// VOLATILE decides it; otherwise the first function the linter does not know to
// be immutable or stable counts as volatile, with known = false.
Volatility volatility(const ParseTree& expr);

// Every function called anywhere in node (last name component, lower-cased), in order.
void called_functions(const ParseTree& node, std::vector<std::string>& out);

// True for a NULL constant (DEFAULT NULL, which fills nothing).
bool is_null_const(const ParseTree& node);

}  // namespace sm::planner
