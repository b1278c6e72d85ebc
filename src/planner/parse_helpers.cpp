#include "planner/parse_helpers.hpp"

namespace sm::planner {

const ParseTree& member(const ParseTree& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() ? ParseTree::empty_object() : *it;
}

const ParseTree& member_list(const ParseTree& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() ? ParseTree::empty_array() : *it;
}

std::string qualified_name(const ParseTree& range_var) {
    std::string schema = range_var.value("schemaname", "");
    return (schema.empty() ? std::string("public") : schema) + "." + range_var.value("relname", "");
}

std::string string_value(const ParseTree& node) {
    if (node.is_object() && node.contains("String")) {
        return node["String"].value("sval", "");
    }
    return "";
}

std::string dotted_name(const ParseTree& list) {
    std::string out;
    if (!list.is_array()) {
        return out;
    }
    for (const auto& item : list) {
        if (!out.empty()) {
            out += ".";
        }
        out += string_value(item);
    }
    return out;
}

std::string drop_object_name(const ParseTree& object, size_t drop_last) {
    if (!object.is_object() || !object.contains("List")) {
        return "";
    }
    const ParseTree& items = member_list(object["List"], "items");
    if (!items.is_array() || items.size() <= drop_last) {
        return "";
    }
    const size_t n = items.size() - drop_last;
    if (n == 1) {
        return "public." + string_value(items[0]);
    }
    return string_value(items[n - 2]) + "." + string_value(items[n - 1]);
}

std::vector<const ParseTree*> alter_commands(const ParseTree& body) {
    std::vector<const ParseTree*> out;
    if (!body.contains("cmds")) {
        return out;
    }
    for (const auto& cmd : body["cmds"]) {
        if (cmd.contains("AlterTableCmd")) {
            out.push_back(&cmd["AlterTableCmd"]);
        }
    }
    return out;
}

bool has_option(const ParseTree& list, const std::string& name) {
    if (!list.is_array()) {
        return false;
    }
    for (const auto& item : list) {
        if (item.contains("DefElem") && item["DefElem"].value("defname", "") == name) {
            return true;
        }
    }
    return false;
}

std::string first_line(const std::string& sql, size_t max) {
    std::string line = sql.substr(0, sql.find('\n'));
    if (line.size() > max || line.size() < sql.size()) {
        return line.substr(0, std::min(line.size(), max)) + "...";
    }
    return line;
}

}  // namespace sm::planner
