// [[execute.checks]]: the post-deploy checks (config_checks.hpp).
#include "core/config_checks.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/error.hpp"

namespace sm::core {
namespace {

std::vector<std::string> read_argv(const TomlNode& node, const std::string& where) {
    if (node.kind != TomlNode::Kind::array || node.array.empty()) {
        throw Error(ExitCode::invalid_input,
                    where + " must be a non-empty array of strings (program, then arguments)",
                    "Example: command = [\"./scripts/smoke-test\", \"--quick\"]; it runs "
                    "without a shell.");
    }
    std::vector<std::string> argv;
    for (const auto& item : node.array) {
        argv.push_back(toml_string(item, where));
    }
    if (argv.front().empty()) {
        throw Error(ExitCode::invalid_input, where + ": the program name is empty");
    }
    return argv;
}

PostDeployCheck read_check(const TomlNode& item, size_t index, const std::string& file,
                           const std::string& prefix) {
    std::string entry = fmt::format("{}:{}: '{}' entry {}", file, item.line, prefix, index + 1);
    PostDeployCheck c;
    TomlReader r(file, prefix);
    r.on("name", [&](auto& n, auto& w) { c.name = toml_string(n, w); });
    r.on("sql", [&](auto& n, auto& w) { c.sql = toml_string(n, w); });
    r.on("command", [&](auto& n, auto& w) { c.command = read_argv(n, w); });
    r.on("timeout", [&](auto& n, auto& w) { c.timeout = toml_duration(n, w); });
    r.read(toml_table(item, entry));
    if (c.name.empty()) {
        throw Error(ExitCode::invalid_input, entry + " needs a name",
                    "Example: name = \"orders readable\", sql = \"SELECT count(*) >= 0 FROM "
                    "orders\".");
    }
    if (c.sql.empty() == c.command.empty()) {
        throw Error(ExitCode::invalid_input,
                    entry + " (\"" + c.name + "\") needs exactly one of sql and command",
                    "sql must return true; command (an argv array, no shell) must exit 0.");
    }
    if (c.timeout.count() <= 0) {
        throw Error(ExitCode::invalid_input,
                    entry + " (\"" + c.name + "\"): timeout must be more than 0");
    }
    return c;
}

}  // namespace

std::vector<PostDeployCheck> read_checks(const TomlNode& node, const std::string& where,
                                         const std::string& file, const std::string& prefix) {
    if (node.kind != TomlNode::Kind::array) {
        throw Error(ExitCode::invalid_input,
                    where + " must be an array of tables ([[" + prefix + "]])");
    }
    std::vector<PostDeployCheck> checks;
    for (size_t i = 0; i < node.array.size(); ++i) {
        PostDeployCheck c = read_check(node.array[i], i, file, prefix);
        bool taken = std::any_of(checks.begin(), checks.end(),
                                 [&](const PostDeployCheck& o) { return o.name == c.name; });
        if (taken) {
            throw Error(ExitCode::invalid_input,
                        fmt::format("{}:{}: '{}' entry {}: the name \"{}\" is used twice", file,
                                    node.array[i].line, prefix, i + 1, c.name),
                        "Give each check its own name: errors, events and notifications name it.");
        }
        checks.push_back(std::move(c));
    }
    return checks;
}

}  // namespace sm::core
