// GitLab Code Quality: the CodeClimate-style JSON array GitLab reads from a
// `codequality` report artifact, one issue per unsuppressed finding.
#include <fmt/format.h>

#include "core/checksum.hpp"
#include "planner/lint_render.hpp"

namespace sm::planner {

// An issue is known again in the next pipeline by its fingerprint: the rule,
// the file and the statement, not the line, so an edit above it keeps it the same.
void append_gitlab_issue(const Finding& f, std::string& out) {
    if (f.suppressed_by) {
        return;
    }
    const std::string& path = shown_path(f.file);
    std::string description = f.message;
    if (!f.alternative.empty()) {
        description += ". Safe alternative: " + std::string(f.alternative);
    }
    std::string identity = std::string(f.rule) + '\n' + path + '\n' + f.statement;
    out += "{\"description\": ";
    append_json_string(description, out);
    out += ", \"check_name\": ";
    append_json_string(f.rule, out);
    fmt::format_to(std::back_inserter(out),
                   ", \"fingerprint\": \"{}\", \"severity\": \"{}\", \"location\": {{\"path\": ",
                   core::sha256_hex(identity).substr(0, 32),
                   f.severity == Severity::error ? "critical" : "minor");
    append_json_string(path, out);
    fmt::format_to(std::back_inserter(out), ", \"lines\": {{\"begin\": {}}}}}}}",
                   std::max(1, f.line));
}

}  // namespace sm::planner
