#pragma once
// What validate found, and how it is printed: the history problems, the
// schema differences, then a verdict. Pure; no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "validate/history_check.hpp"
#include "validate/schema_diff.hpp"

namespace sm::validate {

struct ValidationReport {
    std::string target;           // display name, never with a password
    std::string expected_source;  // "sandbox" or "snapshot"
    std::string snapshot_file;    // for "snapshot"
    std::optional<core::Version> expected_head;
    size_t expected_migrations = 0;
    size_t objects_compared = 0;  // objects in the expected schema
    std::vector<HistoryProblem> history;
    std::vector<Difference> schema;
    std::vector<std::string> notes;  // e.g. the snapshot was written at another head

    bool drift() const { return !history.empty() || !schema.empty(); }
};

// The text report, ending in "verdict: no drift" or "verdict: DRIFT (...)".
std::string render_report_text(const ValidationReport& report);

// {"target", "expected": {...}, "history": [...], "schema": [...], "notes",
//  "drift", "result", "exit_code"}; result and exit_code are the command's.
std::string render_report_json(const ValidationReport& report, const std::string& result,
                               int exit_code);

}  // namespace sm::validate
