#pragma once
// Rendering lint results: human text (file:line, the statement and a caret,
// the lock and the safe alternative), JSON, SARIF 2.1.0 for GitHub code
// scanning, GitHub workflow annotations, and GitLab Code Quality JSON.

#include <functional>
#include <string>
#include <string_view>

#include "planner/linter.hpp"
#include "util/error.hpp"

namespace sm::planner {

enum class LintFormat { text, json, sarif, github, gitlab };

// The format a --format value names: "json", "sarif", "github", "gitlab";
// anything else is text (the command line checks the value first).
LintFormat lint_format_named(std::string_view name);

// Receives rendered output in order, piece by piece.
using LintSink = std::function<void(std::string_view)>;

// What a lint run counts: the summary line, the JSON header, the exit code.
struct LintTotals {
    size_t files = 0;
    long long statements = 0;
    int errors = 0;    // unsuppressed findings of severity error (syntax errors included)
    int warnings = 0;  // unsuppressed warnings
    int suppressed = 0;
    int syntax_errors = 0;  // statements that do not parse, and malformed directives
};

// The exit code of a lint run: invalid_input when something does not parse,
// policy on error findings, else ok. The JSON document's "result" names it.
ExitCode lint_exit_code(const LintTotals& totals);

// Paths are shown relative to the current directory when inside it.
std::string render_lint(const LintReport& report, LintFormat format, const Policy& policy);

// The same output handed to sink in pieces as they are ready, so a run with
// hundreds of thousands of findings is never held as one string. The counts are
// the findings' own (summarize's). lint_to (lint_stream.hpp) writes the same
// bytes for the same files without building the report.
void render_lint(const LintReport& report, LintFormat format, const Policy& policy,
                 const LintSink& sink);

// The rule catalog as text (id, default severity, lock, alternative).
std::string render_rules();
// The same as a JSON document: "result": "ok" and "rules", each with every fact
// of its RuleInfo.
std::string render_rules_json();

}  // namespace sm::planner
