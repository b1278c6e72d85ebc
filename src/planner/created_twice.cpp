#include "planner/created_twice.hpp"

#include <algorithm>
#include <map>

#include "planner/linter.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/policy.hpp"
#include "planner/rule_catalog.hpp"

namespace sm::planner {
namespace {

bool is_down(const std::filesystem::path& file) {
    return file.filename().string().find(".down.sql") != std::string::npos;
}

}  // namespace

std::vector<CreatedObject> created_or_dropped(const std::string& kind, const ParseTree& body) {
    static const std::vector<std::string> k_relations = {"OBJECT_TABLE", "OBJECT_INDEX",
                                                         "OBJECT_VIEW", "OBJECT_MATVIEW"};
    std::vector<CreatedObject> out;
    if (kind == "DropStmt") {
        const std::string type = body.value("removeType", "");
        if (std::find(k_relations.begin(), k_relations.end(), type) == k_relations.end()) {
            return out;
        }
        for (const auto& obj : member_list(body, "objects")) {
            CreatedObject o;
            o.name = drop_object_name(obj);
            o.dropped = true;
            out.push_back(std::move(o));
        }
        return out;
    }
    CreatedObject o;
    if (kind == "CreateStmt") {
        o.name = qualified_name(member(body, "relation"));
        o.what = "table";
        o.if_not_exists = body.value("if_not_exists", false);
    } else if (kind == "CreateTableAsStmt") {
        o.name = qualified_name(member(member(body, "into"), "rel"));
        o.what = body.value("objtype", "") == "OBJECT_MATVIEW" ? "materialized view" : "table";
        o.if_not_exists = body.value("if_not_exists", false);
    } else if (kind == "ViewStmt" && !body.value("replace", false)) {
        o.name = qualified_name(member(body, "view"));
        o.what = "view";
    } else if (kind == "IndexStmt" && body.contains("idxname")) {
        const std::string table = qualified_name(member(body, "relation"));
        o.name = table.substr(0, table.find('.') + 1) + body.value("idxname", "");
        o.table = table;
        o.what = "index";
        o.if_not_exists = body.value("if_not_exists", false);
    } else {
        return out;
    }
    out.push_back(std::move(o));
    return out;
}

CreatedTwiceTracker::CreatedTwiceTracker(const Policy& policy)
    : m_severity(policy.severity_of(k_created_twice_rule)),
      m_info(find_rule(k_created_twice_rule)) {}

std::vector<Finding> CreatedTwiceTracker::next_file(const std::filesystem::path& file,
                                                    const std::vector<CreatedObject>& created) {
    std::vector<Finding> found;
    if (m_severity == Severity::off || is_down(file)) {
        return found;
    }
    for (const auto& o : created) {
        if (o.dropped) {
            m_first.erase(o.name);
            std::erase_if(m_first, [&](const auto& entry) { return entry.second.table == o.name; });
            continue;
        }
        const std::string here = file.string() + ":" + std::to_string(o.line);
        auto [it, is_new] = m_first.emplace(o.name, First{here, o.table});
        if (is_new) {
            continue;
        }
        Finding f;
        f.rule = m_info->id;
        f.severity = m_severity;
        f.file = file;
        f.line = o.line;
        f.column = o.column;
        f.lock = m_info->lock;
        f.alternative = m_info->alternative;
        f.tables = {o.name};
        f.message =
            o.what + " " + o.name + " is created again (first at " + it->second.where +
            (o.if_not_exists ? "): IF NOT EXISTS skips this definition silently, the first stays"
                             : "): this CREATE fails the run");
        found.push_back(std::move(f));
    }
    return found;
}

void report_created_twice(std::vector<FileReport>& files, const Policy& policy) {
    CreatedTwiceTracker tracker(policy);
    for (auto& file : files) {
        std::vector<Finding> found = tracker.next_file(file.file, file.created_objects);
        if (found.empty()) {
            continue;
        }
        // In line order; findings of one line keep their order, the new ones last.
        file.findings.insert(file.findings.end(), std::make_move_iterator(found.begin()),
                             std::make_move_iterator(found.end()));
        std::stable_sort(file.findings.begin(), file.findings.end(),
                         [](const Finding& a, const Finding& b) { return a.line < b.line; });
    }
}

}  // namespace sm::planner
