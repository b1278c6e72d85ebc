#pragma once
// The pieces every lint output format is made of: one finding as a format shows
// it, what separates two findings, and what comes before and after them. The
// writer (lint_stream.hpp) puts them together in file order; lint_output.cpp
// (text, JSON, GitHub), sarif_output.cpp (SARIF) and gitlab_output.cpp (GitLab
// Code Quality) render them.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "planner/lint_output.hpp"

namespace sm::planner {

struct Policy;

// What the document around the findings says about the whole run.
struct LintRunSummary {
    LintTotals totals;
    std::vector<std::string> paths;           // every file, as shown
    std::vector<std::string> no_transaction;  // the files execute runs statement by statement
    std::string suppressions;                 // JSON objects joined by ",", in file order
    // The files with a requires= directive, and what each requires as written.
    std::vector<std::pair<std::string, std::vector<std::string>>> required;
    bool any_finding = false;  // a finding was written (SARIF closes its array so)
};

// The path as the user should see it: relative to the working directory when
// it lies under it.
const std::string& shown_path(const std::filesystem::path& p);

// Appends finding f as format shows it, without a separator: nothing for a
// suppressed finding in GitHub annotations.
void append_finding(LintFormat format, const Finding& f, std::string& out);

// Written between two findings: ",\n" in JSON, "," in SARIF (each result starts
// on a new line), nothing otherwise.
std::string_view finding_separator(LintFormat format);

// What comes before the findings, and after them. Nothing before them depends
// on the run (every format streams; JSON's result and summary come after the
// findings). A suppression as it appears in JSON's "suppressions" list is
// appended by append_suppression_json.
std::string document_head(LintFormat format, const Policy& policy);
std::string document_tail(LintFormat format, const Policy& policy, const LintRunSummary& run);
void append_suppression_json(const Suppression& s, std::string& out);

// SARIF 2.1.0 (sarif_output.cpp): one result, and the document around the
// results, byte for byte what nlohmann::json::dump(2) prints for the whole log.
void append_sarif_result(const Finding& f, std::string& out);
const std::string& sarif_head();
std::string sarif_tail(bool any_result);

// GitLab Code Quality (gitlab_output.cpp): one issue of the array (description,
// check_name, fingerprint, severity, location.path, location.lines.begin);
// nothing for a suppressed finding.
void append_gitlab_issue(const Finding& f, std::string& out);

// One finding as a JSON object (lint_output_json.cpp): compact, keys sorted.
void append_json_finding(const Finding& f, std::string& out);

// text as a JSON string: quoted; '"', '\\' and control characters escaped (\b \t
// \n \f \r, the rest \u00xx, hex digits upper-case when upper_hex, as rapidjson
// writes them, else lower-case, as nlohmann does); bytes that are not UTF-8
// become U+FFFD (util::replace_invalid_utf8). Bytes needing no escape are
// copied in runs.
void append_json_quoted(std::string_view text, std::string& out, bool upper_hex = false);

// A JSON string as nlohmann::json::dump prints it (bytes that are not UTF-8
// become U+FFFD).
void append_json_string(std::string_view text, std::string& out);

}  // namespace sm::planner
