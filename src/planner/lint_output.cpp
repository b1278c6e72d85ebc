#include "planner/lint_output.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <nlohmann/json.hpp>

#include "core/identity.hpp"
#include "planner/rule_catalog.hpp"
#include "util/strings.hpp"
#include "util/worker_pool.hpp"

namespace sm::planner {
namespace {

using nlohmann::json;

// The path as the user should see it: relative to the working directory when
// it lies under it. relative() resolves symlinks with system calls, and findings
// come file by file, so the last answer is kept per thread.
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

std::string statement_line(const Finding& f) {
    std::string line = f.statement.substr(0, f.statement.find('\n'));
    return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

std::string render_text(const LintReport& report, const Policy& policy) {
    std::string out;
    for (const auto& file : report.files) {
        for (const auto& f : file.findings) {
            std::string level = f.suppressed_by ? "suppressed" : severity_name(f.severity);
            out += fmt::format("{}:{}:{}: {}[{}]: {}\n", shown_path(f.file), f.line, f.column,
                               level, f.rule, f.message);
            if (!f.statement.empty()) {
                out += "    " + statement_line(f) + "\n";
                out += "    " + std::string(static_cast<size_t>(std::max(0, f.caret)), ' ') + "^\n";
            }
            if (f.lock != LockLevel::none) {
                out += fmt::format("    lock: {} ({}); blocks {}\n", lock_name(f.lock),
                                   f.lock_detail, lock_blocks(f.lock));
            }
            if (!f.table_work.empty() && f.table_work != "-") {
                out += "    table work: " + std::string(f.table_work) + "\n";
            }
            if (!f.alternative.empty()) {
                out += "    safe alternative: " + std::string(f.alternative) + "\n";
            }
            if (!f.rewrite.empty()) {
                out += "    instead:\n" + util::indent(f.rewrite, "      ") + "\n";
            }
            if (f.suppressed_by) {
                out += fmt::format("    suppressed at line {}: {}\n", f.suppressed_by->line,
                                   f.suppressed_by->reason);
            }
        }
    }
    out += fmt::format(
        "{} file(s), {} statement(s): {} error(s), {} warning(s), {} suppressed (policy {})\n",
        report.files.size(), report.statements, report.errors, report.warnings, report.suppressed,
        policy.name);
    return out;
}

// Compact JSON. Statements and comments come from files: a byte that is not
// UTF-8 (reported as a finding of its own) is written as U+FFFD, not an abort.
std::string dump_text(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

class FindingWriter {
  public:
    // Findings of one file, joined by ",\n".
    std::string file_findings(const FileReport& file) {
        m_buffer.Clear();
        bool first = true;
        for (const auto& f : file.findings) {
            if (!first) {
                m_buffer.Put(',');
                m_buffer.Put('\n');
            }
            first = false;
            m_writer.Reset(m_buffer);
            finding(f);
        }
        return std::string(m_buffer.GetString(), m_buffer.GetSize());
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
        m_writer.Key("suppressed");
        if (f.suppressed_by) {
            m_writer.StartObject();
            member("line", f.suppressed_by->line);
            member("reason", f.suppressed_by->reason);
            m_writer.Key("whole_file");
            m_writer.Bool(f.suppressed_by->whole_file);
            m_writer.EndObject();
        } else {
            m_writer.Null();
        }
        member("table_work", f.table_work);
        m_writer.Key("tables");
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
    void member(const char* key, std::string_view value) {
        m_writer.Key(key);
        string(value);
    }
    void member(const char* key, int value) {
        m_writer.Key(key);
        m_writer.Int(value);
    }
    // null when is_null, else value.
    void member_or_null(const char* key, bool is_null, std::string_view value) {
        m_writer.Key(key);
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

// The document is assembled from pieces that nlohmann dumps, so each file's
// findings can be rendered on its own thread: a large run has hundreds of
// thousands of findings, and one giant document would be slow and big.
void render_json(const LintReport& report, const Policy& policy, const LintSink& sink) {
    std::vector<std::string> pieces(report.files.size());
    util::parallel_for(report.files.size(), 0, [&](size_t i) {
        thread_local FindingWriter writer;  // its buffers are reused file after file
        pieces[i] = writer.file_findings(report.files[i]);
    });
    json suppressions = json::array();
    for (const auto& file : report.files) {
        for (const auto& s : file.suppressions) {
            suppressions.push_back({{"file", shown_path(s.file)},
                                    {"line", s.line},
                                    {"rule", s.rule},
                                    {"reason", s.reason},
                                    {"whole_file", s.whole_file},
                                    {"used", s.used}});
        }
    }
    json paths = json::array();
    json no_transaction = json::array();  // the files execute runs statement by statement
    for (const auto& file : report.files) {
        paths.push_back(shown_path(file.file));
        if (file.no_transaction) {
            no_transaction.push_back(shown_path(file.file));
        }
    }
    json summary = {{"errors", report.errors},
                    {"warnings", report.warnings},
                    {"suppressed", report.suppressed},
                    {"syntax_errors", report.syntax_errors}};
    sink("{\n\"policy\": " + json(policy.name).dump() +
         ",\n\"pg_version\": " + std::to_string(policy.pg_version / 10000) + ",\n\"files\": " +
         std::to_string(report.files.size()) + ",\n\"file_paths\": " + dump_text(paths) +
         ",\n\"statements\": " + std::to_string(report.statements) + ",\n\"no_transaction\": " +
         dump_text(no_transaction) + ",\n\"summary\": " + summary.dump() + ",\n\"findings\": [\n");
    bool first = true;
    for (const auto& piece : pieces) {
        if (piece.empty()) {
            continue;
        }
        if (!first) {
            sink(",\n");
        }
        sink(piece);
        first = false;
    }
    sink("\n],\n\"suppressions\": " + dump_text(suppressions) + "\n}\n");
}

std::string render_sarif(const LintReport& report) {
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
    json results = json::array();
    for (const auto& file : report.files) {
        for (const auto& f : file.findings) {
            std::string text = f.message;
            if (!f.alternative.empty()) {
                text += ". Safe alternative: " + std::string(f.alternative);
            }
            json result = {{"ruleId", f.rule},
                           {"level", f.severity == Severity::error ? "error" : "warning"},
                           {"message", {{"text", text}}},
                           {"locations",
                            {{{"physicalLocation",
                               {{"artifactLocation", {{"uri", shown_path(f.file)}}},
                                {"region",
                                 {{"startLine", std::max(1, f.line)},
                                  {"startColumn", std::max(1, f.column)}}}}}}}}};
            if (f.suppressed_by) {
                result["suppressions"] = {
                    {{"kind", "inSource"}, {"justification", f.suppressed_by->reason}}};
            }
            results.push_back(result);
        }
    }
    json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                  {"version", "2.1.0"},
                  {"runs",
                   {{{"tool",
                      {{"driver",
                        {{"name", "safe-migrate"},
                         {"version", core::tool_version()},
                         {"informationUri", "https://github.com/safe-migrate/safe-migrate"},
                         {"rules", rules}}}}},
                     {"results", results}}}}};
    return sarif.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// GitHub workflow commands need %, CR and LF escaped in messages, and also , and : in properties.
std::string gh_escape(const std::string& s, bool property) {
    std::string out;
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

std::string render_github(const LintReport& report) {
    std::string out;
    for (const auto& file : report.files) {
        for (const auto& f : file.findings) {
            if (f.suppressed_by) {
                continue;
            }
            std::string message = f.message;
            if (!f.alternative.empty()) {
                message += "\nSafe alternative: " + std::string(f.alternative);
            }
            out += fmt::format("::{} file={},line={},col={},title={}::{}\n",
                               f.severity == Severity::error ? "error" : "warning",
                               gh_escape(shown_path(f.file), true), std::max(1, f.line),
                               std::max(1, f.column), gh_escape(std::string(f.rule), true),
                               gh_escape(message, false));
        }
    }
    return out;
}

}  // namespace

void render_lint(const LintReport& report, LintFormat format, const Policy& policy,
                 const LintSink& sink) {
    if (format == LintFormat::json) {
        render_json(report, policy, sink);  // in pieces: it can be very large
    } else {
        sink(render_lint(report, format, policy));
    }
}

std::string render_lint(const LintReport& report, LintFormat format, const Policy& policy) {
    switch (format) {
        case LintFormat::text:
            return render_text(report, policy);
        case LintFormat::json: {
            std::string out;
            render_json(report, policy, [&out](std::string_view piece) { out += piece; });
            return out;
        }
        case LintFormat::sarif:
            return render_sarif(report);
        case LintFormat::github:
            return render_github(report);
    }
    return "";
}

std::string render_rules() {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rule_catalog()) {
        rows.push_back({r.id, severity_name(r.default_severity), lock_short(r.lock), r.summary});
    }
    return util::render_table({"RULE", "DEFAULT", "LOCK", "FLAGS"}, rows);
}

}  // namespace sm::planner
