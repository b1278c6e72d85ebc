#pragma once
// How a statement changes what the rules see next: the transaction block,
// locks held, constraints added NOT VALID, tables created, timeouts set.

#include "planner/rule_api.hpp"

namespace sm::planner {

// Applies one statement to f, after the rules have looked at it.
void apply_statement(const StatementRef& s, FileState& f);

// "SET lock_timeout = '5s'" values in milliseconds; std::nullopt when not a
// duration PostgreSQL would accept (a negative number, say). sql is the text the
// statement was parsed from, where 0 and negative numbers are read back.
std::optional<long long> setting_ms(const ParseTree& variable_set_body, const std::string& sql);

}  // namespace sm::planner
