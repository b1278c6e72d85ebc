// The only file that includes toml++.
#include "core/toml_tree.hpp"

#include <toml++/toml.h>

#include "core/config.hpp"
#include "core/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

TomlNode convert(const toml::node& node) {
    TomlNode out;
    out.line = static_cast<int>(node.source().begin.line);
    if (auto s = node.as_string()) {
        out.kind = TomlNode::Kind::string;
        out.string = s->get();
    } else if (auto i = node.as_integer()) {
        out.kind = TomlNode::Kind::integer;
        out.integer = i->get();
    } else if (auto f = node.as_floating_point()) {
        out.kind = TomlNode::Kind::floating;
        out.floating = f->get();
    } else if (auto b = node.as_boolean()) {
        out.kind = TomlNode::Kind::boolean;
        out.boolean = b->get();
    } else if (auto t = node.as_table()) {
        out.kind = TomlNode::Kind::table;
        for (const auto& [key, child] : *t) {
            out.table.push_back(TomlEntry{std::string(key.str()), convert(child)});
        }
    } else if (auto a = node.as_array()) {
        out.kind = TomlNode::Kind::array;
        for (const auto& child : *a) {
            out.array.push_back(convert(child));
        }
    }
    return out;
}

[[noreturn]] void wrong_type(const std::string& where, const char* expected) {
    throw Error(ExitCode::invalid_input, where + " must be " + expected);
}

}  // namespace

TomlNode parse_toml(const std::string& text, const std::string& file) {
    try {
        toml::table root = toml::parse(text, file);
        TomlNode out = convert(root);
        out.line = 1;
        return out;
    } catch (const toml::parse_error& e) {
        throw Error(ExitCode::invalid_input, file + ":" + std::to_string(e.source().begin.line) +
                                                 ": " + std::string(e.description()));
    }
}

std::string TomlReader::full_key(const std::string& key) const {
    return m_prefix.empty() ? key : m_prefix + "." + key;
}

void TomlReader::read(const TomlNode& table) const {
    for (const auto& [key, node] : table.table) {
        std::string where = m_file + ":" + std::to_string(node.line) + ": '" + full_key(key) + "'";
        const Handler* handler = nullptr;
        for (const auto& [known, h] : m_handlers) {
            if (known == key) {
                handler = &h;
            }
        }
        if (handler != nullptr) {
            (*handler)(node, where);
            continue;
        }
        std::string best;
        size_t best_distance = 3;
        for (const auto& [known, h] : m_handlers) {
            size_t d = util::edit_distance(key, known);
            if (d < best_distance) {
                best_distance = d;
                best = known;
            }
        }
        throw Error(
            ExitCode::invalid_input,
            m_file + ":" + std::to_string(node.line) + ": unknown key '" + full_key(key) + "'",
            best.empty() ? "" : "Did you mean '" + full_key(best) + "'?");
    }
}

std::string toml_string(const TomlNode& node, const std::string& where) {
    if (node.kind != TomlNode::Kind::string) {
        wrong_type(where, "a string");
    }
    return expand_env(node.string, where);
}

bool toml_bool(const TomlNode& node, const std::string& where) {
    if (node.kind != TomlNode::Kind::boolean) {
        wrong_type(where, "true or false");
    }
    return node.boolean;
}

int toml_int(const TomlNode& node, const std::string& where, int min, int max) {
    if (node.kind != TomlNode::Kind::integer) {
        wrong_type(where, "an integer");
    }
    if (node.integer < min || node.integer > max) {
        throw Error(ExitCode::invalid_input, where + " must be between " + std::to_string(min) +
                                                 " and " + std::to_string(max));
    }
    return static_cast<int>(node.integer);
}

std::chrono::milliseconds toml_duration(const TomlNode& node, const std::string& where) {
    std::string text = toml_string(node, where);
    auto d = parse_duration(text);
    if (!d) {
        throw Error(ExitCode::invalid_input, where + ": " + duration_problem(text),
                    "Write a number with a unit: 500ms, 5s, 30min, 2h, or 0 for no limit.");
    }
    return *d;
}

const TomlNode& toml_table(const TomlNode& node, const std::string& where) {
    if (node.kind != TomlNode::Kind::table) {
        wrong_type(where, "a table");
    }
    return node;
}

}  // namespace sm::core
