#pragma once
// Rendering lint results: human text (file:line, the statement and a caret,
// the lock and the safe alternative), JSON, SARIF 2.1.0 for GitHub code
// scanning, and GitHub workflow annotations.

#include <string>

#include "planner/linter.hpp"

namespace sm::planner {

enum class LintFormat { text, json, sarif, github };

// Paths are shown relative to the current directory when inside it.
std::string render_lint(const LintReport& report, LintFormat format, const Policy& policy);

// The rule catalog as text (id, default severity, lock, alternative).
std::string render_rules();

}  // namespace sm::planner
