#include "validate/report.hpp"

#include <nlohmann/json.hpp>

#include "core/version_json.hpp"
#include "util/strings.hpp"

namespace sm::validate {
namespace {

std::string plural(size_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string expected_text(const ValidationReport& r) {
    std::string head = r.expected_head ? core::to_string(*r.expected_head) : "nothing applied";
    if (r.expected_source == "snapshot") {
        return "snapshot " + r.snapshot_file + " (head " + head + ")";
    }
    return "the " + plural(r.expected_migrations, "applied migration", "applied migrations") +
           " (head " + head + ") run on a throwaway database";
}

}  // namespace

std::string render_report_text(const ValidationReport& r) {
    std::string out;
    out += "target:   " + r.target + "\n";
    out += "expected: " + expected_text(r) + "\n";
    for (const auto& note : r.notes) {
        out += "note:     " + note + "\n";
    }
    out += "\n";
    if (r.history.empty()) {
        out += "history: files and history agree\n";
    } else {
        out += "history: " + plural(r.history.size(), "problem", "problems") + "\n";
        for (const auto& p : r.history) {
            out += "  " + p.state + std::string(14 - std::min<size_t>(p.state.size(), 13), ' ') +
                   p.message + "\n";
        }
    }
    if (r.schema.empty()) {
        out += "schema:  no differences (" + plural(r.objects_compared, "object", "objects") +
               " compared)\n";
    } else {
        out += "schema:  " + plural(r.schema.size(), "difference", "differences") + "\n";
        for (const auto& d : r.schema) {
            std::string kind = diff_kind_name(d.kind);
            out += "  " + kind + std::string(10 - kind.size(), ' ') + d.message + "\n";
            std::string detail = difference_detail(d);
            if (!detail.empty() && d.message.find(" differs") != std::string::npos) {
                out += util::indent(detail, "            ");
                if (out.back() != '\n') {
                    out += "\n";
                }
            }
        }
    }
    out += "\n";
    if (!r.drift()) {
        out += "verdict: no drift\n";
    } else {
        out += "verdict: DRIFT (" +
               plural(r.history.size(), "history problem", "history problems") + ", " +
               plural(r.schema.size(), "schema difference", "schema differences") + ")\n";
    }
    return out;
}

std::string render_report_json(const ValidationReport& r, const std::string& result,
                               int exit_code) {
    nlohmann::ordered_json history = nlohmann::ordered_json::array();
    for (const auto& p : r.history) {
        history.push_back(
            {{"version", p.version}, {"name", p.name}, {"state", p.state}, {"message", p.message}});
    }
    nlohmann::ordered_json schema = nlohmann::ordered_json::array();
    for (const auto& d : r.schema) {
        nlohmann::ordered_json entry = {{"kind", diff_kind_name(d.kind)}, {"object", d.object}};
        entry["attribute"] =
            d.attribute.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.attribute);
        entry["expected"] = d.kind == DiffKind::changed ? nlohmann::ordered_json(d.expected)
                                                        : nlohmann::ordered_json();
        entry["actual"] = d.kind == DiffKind::changed ? nlohmann::ordered_json(d.actual)
                                                      : nlohmann::ordered_json();
        entry["detail"] = difference_detail(d);
        entry["message"] = d.message;
        schema.push_back(std::move(entry));
    }
    nlohmann::ordered_json expected = {{"source", r.expected_source}};
    if (r.expected_source == "snapshot") {
        expected["file"] = r.snapshot_file;
    }
    expected["head"] =
        r.expected_head ? nlohmann::ordered_json(*r.expected_head) : nlohmann::ordered_json();
    expected["migrations"] = r.expected_migrations;
    expected["objects"] = r.objects_compared;
    nlohmann::ordered_json out = {{"target", r.target}, {"expected", expected},
                                  {"history", history}, {"schema", schema},
                                  {"notes", r.notes},   {"drift", r.drift()},
                                  {"result", result},   {"exit_code", exit_code}};
    return out.dump(2) + "\n";
}

}  // namespace sm::validate
