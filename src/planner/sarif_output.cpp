// SARIF 2.1.0 for GitHub code scanning, written result by result: the log is the
// bytes nlohmann::json::dump(2) prints for the whole document (keys in order,
// two-space indent), without building a tree of every result.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/identity.hpp"
#include "planner/lint_render.hpp"
#include "planner/rule_catalog.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

using nlohmann::json;

// "results" holds the findings; the rest of the log is the same for every run.
constexpr std::string_view k_results_marker = "\"results\": []";

json sarif_rules() {
    json rules = json::array();
    for (const auto& r : rule_catalog()) {
        rules.push_back(
            {{"id", r.id},
             {"name", r.id},
             {"shortDescription", {{"text", r.summary}}},
             {"fullDescription",
              {{"text", std::string(r.summary) + ". Lock: " + lock_name(r.lock) + " (" +
                            r.lock_detail + ")."}}},
             {"help", {{"text", std::string("Safe alternative: ") + r.alternative}}},
             {"defaultConfiguration",
              {{"level", r.default_severity == Severity::error ? "error" : "warning"}}}});
    }
    rules.push_back({{"id", k_syntax_error_rule},
                     {"shortDescription", {{"text", "the statement does not parse"}}},
                     {"defaultConfiguration", {{"level", "error"}}}});
    return rules;
}

// The log with no results, split where the results go: before and after "[]".
const std::pair<std::string, std::string>& sarif_frame() {
    static const std::pair<std::string, std::string> frame = [] {
        json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs",
                       {{{"tool",
                          {{"driver",
                            {{"name", "safe-migrate"},
                             {"version", core::tool_version()},
                             {"informationUri", "https://github.com/safe-migrate/safe-migrate"},
                             {"rules", sarif_rules()}}}}},
                         {"results", json::array()}}}}};
        std::string text = sarif.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
        size_t at = text.find(k_results_marker) + k_results_marker.size() - 1;  // at the "]"
        return std::pair{text.substr(0, at), text.substr(at)};
    }();
    return frame;
}

}  // namespace

void append_json_string(std::string_view text, std::string& out) {
    if (util::first_invalid_utf8(text) != std::string::npos) {
        out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
    append_json_quoted(text, out);
}

// One element of "results", at the indent dump(2) gives it, starting on a new line.
void append_sarif_result(const Finding& f, std::string& out) {
    auto to = std::back_inserter(out);
    fmt::format_to(to,
                   "\n        {{\n          \"level\": \"{}\",\n          \"locations\": [\n"
                   "            {{\n              \"physicalLocation\": {{\n"
                   "                \"artifactLocation\": {{\n                  \"uri\": ",
                   f.severity == Severity::error ? "error" : "warning");
    append_json_string(shown_path(f.file), out);
    fmt::format_to(to,
                   "\n                }},\n                \"region\": {{\n"
                   "                  \"startColumn\": {},\n                  \"startLine\": {}\n"
                   "                }}\n              }}\n            }}\n          ],\n"
                   "          \"message\": {{\n            \"text\": ",
                   std::max(1, f.column), std::max(1, f.line));
    std::string text = f.message;
    if (!f.alternative.empty()) {
        text += ". Safe alternative: ";
        text += f.alternative;
    }
    append_json_string(text, out);
    out += "\n          },\n          \"ruleId\": ";
    append_json_string(f.rule, out);
    if (f.suppressed_by) {
        out += ",\n          \"suppressions\": [\n            {\n              \"justification\": ";
        append_json_string(f.suppressed_by->reason, out);
        out += ",\n              \"kind\": \"inSource\"\n            }\n          ]";
    }
    out += "\n        }";
}

const std::string& sarif_head() {
    return sarif_frame().first;
}

std::string sarif_tail(bool any_result) {
    // dump(2) prints an empty array as "[]", a full one with "]" on a line of its own.
    return (any_result ? "\n      " : "") + sarif_frame().second;
}

}  // namespace sm::planner
