#pragma once
// The plan's findings beyond lint's and its verdict (plan.cpp's helpers): a
// pending migration's down file that does not parse, and the verdict decided
// from drift, syntax errors and lint errors. attach_table_sizes (plan.hpp)
// lives beside them.

#include <vector>

#include "core/migration_source.hpp"
#include "planner/plan.hpp"

namespace sm::planner {

// The verdict: drift, statements that do not parse, and lint errors block.
void decide(Plan& plan);

// The report of a pending migration's down file that does not parse: one
// broken-down-migration finding per problem (none when the policy turns it off).
FileReport broken_down_report(const core::Migration& m,
                              const std::vector<core::SourceProblem>& problems,
                              const Policy& policy);

}  // namespace sm::planner
