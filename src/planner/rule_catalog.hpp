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

// The pseudo-rule for statements that do not parse.
inline constexpr const char* k_syntax_error_rule = "syntax-error";

}  // namespace sm::planner
