#pragma once
// TOML documents as a plain tree, and a strict reader for it.
//
// toml++ is included by toml_tree.cpp only; everything else (the project
// config, lint policies) reads this tree. TomlReader gives every file the same
// behaviour: an unknown key, a wrong type or a bad value is an sm::Error
// (invalid_input) naming the file, the line and the dotted key, with a "did you
// mean" hint for near misses.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sm::core {

struct TomlEntry;

struct TomlNode {
    enum class Kind { string, integer, floating, boolean, table, array, other };
    Kind kind = Kind::other;
    int line = 0;
    std::string string;
    int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
    std::vector<TomlEntry> table;  // in document order
    std::vector<TomlNode> array;
};

// A key of a table and its value (first/second, as the pair it replaces: a
// std::pair of an incomplete type inside its own vector is not portable C++).
struct TomlEntry {
    std::string first;
    TomlNode second;
};

// Parses text as TOML. Throws sm::Error (invalid_input) "file:line: reason".
TomlNode parse_toml(const std::string& text, const std::string& file);

// Reads one table against a schema of known keys.
class TomlReader {
  public:
    // where: "file:line: 'dotted.key'", for error messages.
    using Handler = std::function<void(const TomlNode&, const std::string& where)>;

    TomlReader(std::string file, std::string prefix)
        : m_file(std::move(file)), m_prefix(std::move(prefix)) {}

    void on(const std::string& key, Handler handler) {
        m_handlers.emplace_back(key, std::move(handler));
    }
    // Reads every key of table; unknown keys are errors.
    void read(const TomlNode& table) const;

    const std::string& file() const { return m_file; }
    std::string full_key(const std::string& key) const;

  private:
    std::string m_file;
    std::string m_prefix;
    std::vector<std::pair<std::string, Handler>> m_handlers;
};

// Typed accessors; each throws sm::Error naming where on a wrong type or value.
// Strings have ${VAR} references expanded (config.hpp: expand_env).
std::string toml_string(const TomlNode& node, const std::string& where);
bool toml_bool(const TomlNode& node, const std::string& where);
int toml_int(const TomlNode& node, const std::string& where, int min, int max);
std::chrono::milliseconds toml_duration(const TomlNode& node, const std::string& where);
const TomlNode& toml_table(const TomlNode& node, const std::string& where);

}  // namespace sm::core
