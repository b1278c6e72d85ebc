#include "planner/lint_output.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

class FindingWriter {
  public:
    void append(const Finding& f, std::string& out) {
        m_buffer.Clear();
        m_writer.Reset(m_buffer);
        finding(f);
        out.append(m_buffer.GetString(), m_buffer.GetSize());
    }

  private:
    void finding(const Finding& f) {
        m_writer.StartObject();
        member("alternative", f.alternative);
        member_or_null("blocks", f.lock == LockLevel::none, lock_blocks(f.lock));
        member("column", f.column);
        member("file", shown_path(f.file));
        member("line", f.line);
        member_or_null("lock", f.lock == LockLevel::none, lock_name(f.lock));
        member("lock_detail", f.lock_detail);
        member("message", f.message);
        member_or_null("rewrite", f.rewrite.empty(), f.rewrite);
        member("rule", f.rule);
        member("severity", severity_name(f.severity));
        member("statement", f.statement);
        key("suppressed");
        if (f.suppressed_by) {
            m_writer.StartObject();
            member("line", f.suppressed_by->line);
            member("reason", f.suppressed_by->reason);
            key("whole_file");
            m_writer.Bool(f.suppressed_by->whole_file);
            m_writer.EndObject();
        } else {
            m_writer.Null();
        }
        member("table_work", f.table_work);
        key("tables");
        m_writer.StartArray();
        for (const auto& t : f.tables) {
            string(t);
        }
        m_writer.EndArray();
        m_writer.EndObject();
    }

    // Text from files may hold bytes that are not UTF-8 (reported as a finding
    // of their own): they are written as U+FFFD, so the output stays JSON.
    void string(std::string_view text) {
        if (util::first_invalid_utf8(text) != std::string::npos) {
            m_scratch = util::replace_invalid_utf8(text);
            text = m_scratch;
        }
        m_writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    // Keys are literals: their length is known, no strlen.
    void key(std::string_view name) {
        m_writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    }
    void member(std::string_view name, std::string_view value) {
        key(name);
        string(value);
    }
    void member(std::string_view name, int value) {
        key(name);
        m_writer.Int(value);
    }
    // null when is_null, else value.
    void member_or_null(std::string_view name, bool is_null, std::string_view value) {
        key(name);
        if (is_null) {
            m_writer.Null();
        } else {
            string(value);
        }
    }

    rapidjson::StringBuffer m_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> m_writer{m_buffer};
    std::string m_scratch;
};

// GitHub workflow commands need %, CR and LF escaped in messages, and also , and : in properties.
std::string gh_escape(std::string_view s, bool property) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '%') {
            out += "%25";
        } else if (c == '\r') {
            out += "%0D";
        } else if (c == '\n') {
            out += "%0A";
        } else if (property && c == ':') {
            out += "%3A";
        } else if (property && c == ',') {
            out += "%2C";
        } else {
            out += c;
        }
    }
    return out;
}

void append_github_finding(const Finding& f, std::string& out) {
    if (f.suppressed_by) {
        return;
    }
    std::string message = f.message;
    if (!f.alternative.empty()) {
        message += "\nSafe alternative: " + std::string(f.alternative);
    }
    fmt::format_to(std::back_inserter(out), "::{} file={},line={},col={},title={}::{}\n",
                   f.severity == Severity::error ? "error" : "warning",
                   gh_escape(shown_path(f.file), true), std::max(1, f.line), std::max(1, f.column),
                   gh_escape(f.rule, true), gh_escape(message, false));
}

// {"file": ["1", "2_x"]}: the files' requires= as written.
json required_json(const LintRunSummary& run) {
    json out = json::object();
    for (const auto& [path, required] : run.required) {
        out[path] = required;
    }
    return out;
}

std::string json_head(const Policy& policy, const LintRunSummary& run) {
    json summary = {{"errors", run.totals.errors},
                    {"warnings", run.totals.warnings},
                    {"suppressed", run.totals.suppressed},
                    {"syntax_errors", run.totals.syntax_errors}};
    ExitCode code = lint_exit_code(run.totals);
    return "{\n\"result\": " + json(exit_code_name(code)).dump() +
           ",\n\"exit_code\": " + std::to_string(static_cast<int>(code)) +
           ",\n\"policy\": " + json(policy.name).dump() +
           ",\n\"pg_version\": " + std::to_string(policy.pg_version / 10000) +
           ",\n\"files\": " + std::to_string(run.totals.files) +
           ",\n\"file_paths\": " + dump_text(run.paths) +
           ",\n\"statements\": " + std::to_string(run.totals.statements) +
           ",\n\"no_transaction\": " + dump_text(run.no_transaction) +
           ",\n\"requires\": " + dump_text(required_json(run)) +
           ",\n\"summary\": " + summary.dump() + ",\n\"findings\": [\n";
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
        case LintFormat::json: {
            thread_local FindingWriter writer;  // its buffers are reused finding after finding
            writer.append(f, out);
            return;
        }
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

bool head_needs_summary(LintFormat format) {
    return format == LintFormat::json;
}

std::string document_head(LintFormat format, const Policy& policy, const LintRunSummary& run) {
    switch (format) {
        case LintFormat::json:
            return json_head(policy, run);
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
            return "\n],\n\"suppressions\": [" + run.suppressions + "]\n}\n";
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
