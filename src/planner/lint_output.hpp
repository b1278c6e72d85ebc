#pragma once
// Rendering lint results: human text (file:line, the statement and a caret,
// the lock and the safe alternative), JSON, SARIF 2.1.0 for GitHub code
// scanning, and GitHub workflow annotations.

#include <functional>
#include <string>
#include <string_view>

#include "planner/linter.hpp"

namespace sm::planner {

enum class LintFormat { text, json, sarif, github };

// Receives rendered output in order, piece by piece.
using LintSink = std::function<void(std::string_view)>;

// Paths are shown relative to the current directory when inside it.
std::string render_lint(const LintReport& report, LintFormat format, const Policy& policy);

// The same output handed to sink in pieces as they are ready, so a run with
// hundreds of thousands of findings is never held as one string.
void render_lint(const LintReport& report, LintFormat format, const Policy& policy,
                 const LintSink& sink);

// The rule catalog as text (id, default severity, lock, alternative).
std::string render_rules();

}  // namespace sm::planner
