#pragma once
// Every lint rule: id, default severity, lock, table work and safe alternative
// (the facts in ../shared/reference/lint-rules.md). Policies refer to rules by id.

#include <string_view>
#include <vector>

#include "planner/lint_types.hpp"

namespace sm::planner {

// All rules, in catalog order.
const std::vector<RuleInfo>& rule_catalog();

// The rule with this id, or nullptr.
const RuleInfo* find_rule(std::string_view id);

// False for the rules about how a file runs (transaction hygiene, statements
// PostgreSQL refuses in a transaction), objects created twice, and a foreign key
// without an index: they hold however new the tables are.
// Every other rule's finding is dropped when all the tables its statement
// touches were created earlier in the same file (lint) or run (plan, execute).
bool exempt_on_new_tables(std::string_view id);

// True for the rules whose harm is a lock held while the table is scanned or
// rewritten (or a lock queue behind it): on an existing table smaller than the
// policy's small_table_bytes, plan and execute report them as warnings.
// Data-loss and compatibility rules stay errors at any size.
bool size_dependent(std::string_view id);

// The rule for one relation created twice (created_twice.hpp).
inline constexpr const char* k_created_twice_rule = "object-created-twice";

// The rule plan reports for a pending migration whose down file does not parse.
inline constexpr const char* k_broken_down_rule = "broken-down-migration";

// The pseudo-rule for statements that do not parse.
inline constexpr const char* k_syntax_error_rule = "syntax-error";

}  // namespace sm::planner
