#include "planner/lint_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

#include "planner/lint_render.hpp"
#include "planner/rewrite.hpp"
#include "planner/rule_catalog.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

using nlohmann::json;

std::string statement_line(const Finding& f) {
    std::string line = f.statement.substr(0, f.statement.find('\n'));
    return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

void append_text_finding(const Finding& f, std::string& out) {
    auto to = std::back_inserter(out);
    std::string level = f.suppressed_by ? "suppressed" : severity_name(f.severity);
    fmt::format_to(to, "{}:{}:{}: {}[{}]: {}\n", shown_path(f.file), f.line, f.column, level,
                   f.rule, f.message);
    if (!f.statement.empty()) {
        out += "    " + statement_line(f) + "\n";
        out += "    " + std::string(static_cast<size_t>(std::max(0, f.caret)), ' ') + "^\n";
    }
    if (f.lock != LockLevel::none) {
        fmt::format_to(to, "    lock: {} ({}); blocks {}\n", lock_name(f.lock), f.lock_detail,
                       lock_blocks(f.lock));
    }
    if (!f.table_work.empty() && f.table_work != "-") {
        fmt::format_to(to, "    table work: {}\n", f.table_work);
    }
    if (!f.alternative.empty()) {
        fmt::format_to(to, "    safe alternative: {}\n", f.alternative);
    }
    if (!f.suppressed_by && rule_has_recipe(f.rule)) {
        fmt::format_to(to,
                       "    fix: safe-migrate rewrite {} (prints the online steps; --write adds "
                       "them as migrations)\n",
                       shown_path(f.file));
    }
    if (!f.rewrite.empty()) {
        out += "    instead:\n" + util::indent(f.rewrite, "      ") + "\n";
    }
    if (f.suppressed_by) {
        fmt::format_to(to, "    suppressed at line {}: {}\n", f.suppressed_by->line,
                       f.suppressed_by->reason);
    }
}

// Compact JSON. Statements and comments come from files: a byte that is not
// UTF-8 (reported as a finding of its own) is written as U+FFFD, not an abort.
std::string dump_text(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// GitHub workflow commands need %, CR and LF escaped in messages, and also :
// and , in properties: each byte to escape and what it becomes.
struct GhEscape {
    char c;
    std::string_view as;
    bool property_only;
};
constexpr std::array<GhEscape, 5> k_gh_escapes = {{{'%', "%25", false},
                                                   {'\r', "%0D", false},
                                                   {'\n', "%0A", false},
                                                   {':', "%3A", true},
                                                   {',', "%2C", true}}};

// Appends s escaped for a workflow command; runs of plain bytes are copied
// whole. Each kind's next place is found with memchr (vectorised) and kept
// until the copy passes it, so s is scanned once per kind: messages are long
// and rarely hold one, and this was the github format's hottest loop.
void append_gh_escaped(std::string_view s, bool property, std::string& out) {
    auto find = [&s](char c, size_t from) {
        if (from >= s.size()) {
            return s.size();
        }
        const void* hit = std::memchr(s.data() + from, c, s.size() - from);
        return hit != nullptr ? static_cast<size_t>(static_cast<const char*>(hit) - s.data())
                              : s.size();
    };
    std::array<size_t, k_gh_escapes.size()> next{};  // each kind's next place (s.size(): none)
    for (size_t k = 0; k < k_gh_escapes.size(); ++k) {
        next[k] =
            property || !k_gh_escapes[k].property_only ? find(k_gh_escapes[k].c, 0) : s.size();
    }
    size_t at = 0;
    for (;;) {
        size_t k = static_cast<size_t>(std::min_element(next.begin(), next.end()) - next.begin());
        out.append(s.data() + at, next[k] - at);
        if (next[k] == s.size()) {
            return;
        }
        out += k_gh_escapes[k].as;
        at = next[k] + 1;
        next[k] = find(k_gh_escapes[k].c, at);
    }
}

void append_github_finding(const Finding& f, std::string& out) {
    if (f.suppressed_by) {
        return;
    }
    out += f.severity == Severity::error ? "::error file=" : "::warning file=";
    append_gh_escaped(shown_path(f.file), true, out);
    fmt::format_to(std::back_inserter(out), ",line={},col={},title=", std::max(1, f.line),
                   std::max(1, f.column));
    append_gh_escaped(f.rule, true, out);
    out += "::";
    append_gh_escaped(f.message, false, out);
    if (!f.alternative.empty()) {  // the message, a line break, then the alternative
        out += "%0ASafe alternative: ";
        append_gh_escaped(f.alternative, false, out);
    }
    out += '\n';
}

// {"file": ["1", "2_x"]}: the files' requires= as written.
json required_json(const LintRunSummary& run) {
    json out = json::object();
    for (const auto& [path, required] : run.required) {
        out[path] = required;
    }
    return out;
}

// The JSON document streams: what is known before the first file comes first,
// the findings as each file finishes, and what counts them (result, exit code,
// summary) after them, so nothing is held back for the counts.
std::string json_head(const Policy& policy) {
    return "{\n\"policy\": " + json(policy.name).dump() +
           ",\n\"pg_version\": " + std::to_string(policy.pg_version / 10000) +
           ",\n\"findings\": [\n";
}

std::string json_tail(const LintRunSummary& run) {
    json summary = {{"errors", run.totals.errors},
                    {"warnings", run.totals.warnings},
                    {"suppressed", run.totals.suppressed},
                    {"syntax_errors", run.totals.syntax_errors}};
    ExitCode code = lint_exit_code(run.totals);
    return "\n],\n\"suppressions\": [" + run.suppressions + "]" +
           ",\n\"files\": " + std::to_string(run.totals.files) +
           ",\n\"file_paths\": " + dump_text(run.paths) +
           ",\n\"statements\": " + std::to_string(run.totals.statements) +
           ",\n\"no_transaction\": " + dump_text(run.no_transaction) +
           ",\n\"requires\": " + dump_text(required_json(run)) +
           ",\n\"summary\": " + summary.dump() +
           ",\n\"result\": " + json(exit_code_name(code)).dump() +
           ",\n\"exit_code\": " + std::to_string(static_cast<int>(code)) + "\n}\n";
}

// "migrations/2_b.up.sql requires 1" lines, one per file with requires=.
std::string required_text(const LintRunSummary& run) {
    std::string out;
    for (const auto& [path, required] : run.required) {
        out += path + " requires " + util::join(required, ", ") + "\n";
    }
    return out;
}

}  // namespace

ExitCode lint_exit_code(const LintTotals& totals) {
    if (totals.syntax_errors > 0) {
        return ExitCode::invalid_input;
    }
    return totals.errors > 0 ? ExitCode::policy : ExitCode::ok;
}

// relative() resolves symlinks with system calls, and findings come file by
// file, so the last answer is kept per thread.
const std::string& shown_path(const std::filesystem::path& p) {
    thread_local std::filesystem::path last_input;
    thread_local std::string last_shown;
    if (!last_shown.empty() && p.native() == last_input.native()) {
        return last_shown;
    }
    std::error_code ec;
    auto rel = std::filesystem::relative(p, std::filesystem::current_path(), ec);
    last_input = p;
    last_shown =
        (!ec && !rel.empty() && rel.string().rfind("..", 0) != 0) ? rel.string() : p.string();
    return last_shown;
}

void append_finding(LintFormat format, const Finding& f, std::string& out) {
    switch (format) {
        case LintFormat::text:
            append_text_finding(f, out);
            return;
        case LintFormat::json:
            append_json_finding(f, out);
            return;
        case LintFormat::sarif:
            append_sarif_result(f, out);
            return;
        case LintFormat::github:
            append_github_finding(f, out);
            return;
        case LintFormat::gitlab:
            append_gitlab_issue(f, out);
            return;
    }
}

std::string_view finding_separator(LintFormat format) {
    switch (format) {
        case LintFormat::json:
        case LintFormat::gitlab:
            return ",\n";
        case LintFormat::sarif:
            return ",";
        case LintFormat::text:
        case LintFormat::github:
            break;
    }
    return "";
}

std::string document_head(LintFormat format, const Policy& policy) {
    switch (format) {
        case LintFormat::json:
            return json_head(policy);
        case LintFormat::sarif:
            return sarif_head();
        case LintFormat::gitlab:
            return "[\n";
        case LintFormat::text:
        case LintFormat::github:
            break;
    }
    return "";
}

std::string document_tail(LintFormat format, const Policy& policy, const LintRunSummary& run) {
    const LintTotals& t = run.totals;
    switch (format) {
        case LintFormat::text:
            return required_text(run) +
                   fmt::format(
                       "{} file(s), {} statement(s): {} error(s), {} warning(s), {} suppressed "
                       "(policy {})\n",
                       t.files, t.statements, t.errors, t.warnings, t.suppressed, policy.name);
        case LintFormat::json:
            return json_tail(run);
        case LintFormat::sarif:
            return sarif_tail(run.any_finding);
        case LintFormat::gitlab:
            return run.any_finding ? "\n]\n" : "]\n";
        case LintFormat::github:
            break;
    }
    return "";
}

void append_suppression_json(const Suppression& s, std::string& out) {
    out += dump_text({{"file", shown_path(s.file)},
                      {"line", s.line},
                      {"rule", s.rule},
                      {"reason", s.reason},
                      {"whole_file", s.whole_file},
                      {"used", s.used}});
}

std::string render_rules() {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rule_catalog()) {
        rows.push_back({r.id, severity_name(r.default_severity), lock_short(r.lock), r.summary});
    }
    return util::render_table({"RULE", "DEFAULT", "LOCK", "FLAGS"}, rows);
}

}  // namespace sm::planner

namespace sm::planner {

std::string render_rules_json() {
    json rules = json::array();
    for (const auto& r : rule_catalog()) {
        rules.push_back({{"id", r.id},
                         {"default_severity", severity_name(r.default_severity)},
                         {"summary", r.summary},
                         {"lock", lock_name(r.lock)},
                         {"lock_detail", r.lock_detail},
                         {"table_work", r.table_work},
                         {"alternative", r.alternative}});
    }
    return json({{"result", "ok"}, {"rules", rules}}).dump(2) + "\n";
}

LintFormat lint_format_named(std::string_view name) {
    if (name == "json") {
        return LintFormat::json;
    }
    if (name == "sarif") {
        return LintFormat::sarif;
    }
    if (name == "gitlab") {
        return LintFormat::gitlab;
    }
    return name == "github" ? LintFormat::github : LintFormat::text;
}

}  // namespace sm::planner
