#pragma once
// validate and schema dump against a live target: read-only (the history
// schema is never created), and SIGINT/SIGTERM cancel a running read on the
// server and stop between steps (sm::Error interrupted).

#include <optional>
#include <string>

#include "core/conninfo.hpp"
#include "planner/project.hpp"
#include "validate/report.hpp"
#include "validate/schema_model.hpp"

namespace sm::validate {

// The target's history against the files, then its live schema against the
// expected one: snapshot when given (from snapshot_file), else the applied
// migrations run on a throwaway database (with the target's roles).
ValidationReport validate_target(const planner::Project& project, const core::Target& target,
                                 std::optional<SchemaModel> snapshot,
                                 const std::string& snapshot_file);

// The live target's schema, with its history's versions as provenance.
SchemaModel read_target_model(const core::Target& target, const std::string& application_name);

}  // namespace sm::validate
