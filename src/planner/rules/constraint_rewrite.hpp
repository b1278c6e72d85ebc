#pragma once
// Text surgery behind the rewrites of the "constraints" rule family
// (constraints.cpp): an ALTER TABLE statement cut into its header and
// subcommands, an inline column constraint located in an ADD COLUMN subcommand,
// and column lists as SQL. It works on the statement's text with the token
// scanner of rule_support.hpp, which respects quotes, comments and parentheses
// (so a comma inside CHECK (...) or a quoted name does not split a subcommand).
// Internal to planner/rules.

#include <cstddef>
#include <string>
#include <vector>

namespace sm::planner {

// "(a, b)", each name quoted where needed.
std::string column_list_sql(const std::vector<std::string>& cols);

// ALTER TABLE layout: "ALTER TABLE [IF EXISTS] [ONLY] name [*]" and the
// subcommands, split at top-level commas.
struct AlterLayout {
    std::string header;
    std::vector<std::string> pieces;  // one per AlterTableCmd, when ok
    bool ok = false;

    // The statement with piece i replaced (or removed when replacement is
    // empty); "" when no subcommand is left.
    std::string with_piece(size_t i, const std::string& replacement) const;
};

// The layout of sql. ok is true only when sql splits into exactly
// expected_commands subcommands (the parse tree's count); otherwise a rule makes
// no rewrite from it.
AlterLayout alter_layout(const std::string& sql, size_t expected_commands);

// "ADD CHECK (...)" -> "ADD CONSTRAINT name CHECK (...)" when unnamed; any other
// piece is returned as it is.
std::string name_constraint_piece(const std::string& piece, const std::string& name);

// Where one inline column constraint sits in an ADD COLUMN piece.
struct ConstraintSpan {
    size_t begin = 0;          // including a leading "CONSTRAINT name"
    size_t keyword_begin = 0;  // at REFERENCES / UNIQUE / PRIMARY / CHECK
    size_t end = 0;
    bool found = false;
};

// The first inline constraint of piece that starts with keyword (REFERENCES,
// UNIQUE, PRIMARY or CHECK, outside parentheses), up to the next constraint;
// found is false when piece has none.
ConstraintSpan column_constraint_span(const std::string& piece, const char* keyword);

// piece with span cut out, whitespace trimmed.
std::string without_span(const std::string& piece, const ConstraintSpan& span);

}  // namespace sm::planner
