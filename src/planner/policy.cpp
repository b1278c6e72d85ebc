#include "planner/policy.hpp"

#include <cstdlib>
#include <limits>
#include <set>

#include "core/checksum.hpp"
#include "core/share_dir.hpp"
#include "core/toml_tree.hpp"
#include "planner/rule_catalog.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace fs = std::filesystem;
namespace {

Severity parse_severity(const core::TomlNode& node, const std::string& where) {
    std::string value = core::toml_string(node, where);
    if (value == "error") {
        return Severity::error;
    }
    if (value == "warning") {
        return Severity::warning;
    }
    if (value == "off") {
        return Severity::off;
    }
    throw Error(ExitCode::invalid_input,
                where + " must be \"error\", \"warning\" or \"off\", not '" + value + "'");
}

fs::path resolve(const std::string& name_or_path, const fs::path& relative_to) {
    if (name_or_path.find('/') == std::string::npos &&
        name_or_path.find(".toml") == std::string::npos) {
        fs::path shipped = shipped_policies_dir() / (name_or_path + ".toml");
        if (!fs::exists(shipped)) {
            throw Error(ExitCode::invalid_input,
                        "no shipped policy named '" + name_or_path + "' in " +
                            shipped_policies_dir().string(),
                        "Shipped policies: default, strict. Or give a path to a .toml file.");
        }
        return shipped;
    }
    fs::path p(name_or_path);
    return p.is_absolute() ? p : relative_to / p;
}

Policy parse_with_chain(const std::string& text, const fs::path& file, std::set<fs::path>& seen) {
    std::string f = file.string();
    core::TomlNode root = core::parse_toml(text, f);
    Policy policy;
    // extends first: this file's values override the base.
    for (const auto& [key, node] : root.table) {
        if (key == "extends") {
            fs::path base = resolve(
                core::toml_string(node, f + ":" + std::to_string(node.line) + ": 'extends'"),
                file.parent_path());
            fs::path canonical = fs::weakly_canonical(base);
            if (!seen.insert(canonical).second) {
                throw Error(ExitCode::invalid_input,
                            f + ": policies extend each other in a cycle through " + base.string());
            }
            policy = parse_with_chain(util::read_file(base), base, seen);
        }
    }
    policy.file = file;
    policy.name = file.stem().string();
    core::TomlReader top(f, "");
    top.on("extends", [](auto&, auto&) {});
    top.on("name", [&](auto& n, auto& w) { policy.name = core::toml_string(n, w); });
    top.on("pg_version",
           [&](auto& n, auto& w) { policy.pg_version = core::toml_int(n, w, 9, 99) * 10000; });
    top.on("thresholds", [&](auto& n, auto& w) {
        core::TomlReader r(f, "thresholds");
        r.on("max_lock_timeout", [&](auto& n2, auto& w2) {
            policy.max_lock_timeout_ms = core::toml_duration(n2, w2).count();
        });
        r.on("small_table_bytes", [&](auto& n2, auto& w2) {
            policy.small_table_bytes = core::toml_int(n2, w2, 0, std::numeric_limits<int>::max());
        });
        r.read(core::toml_table(n, w));
    });
    top.on("rules", [&](auto& n, auto& w) {
        core::TomlReader r(f, "rules");
        for (const auto& rule : rule_catalog()) {
            std::string id = rule.id;
            r.on(id, [&policy, id](auto& n2, auto& w2) {
                policy.severity[id] = parse_severity(n2, w2);
            });
        }
        r.read(core::toml_table(n, w));
    });
    top.read(root);
    return policy;
}

}  // namespace

Severity Policy::severity_of(const std::string& rule) const {
    if (auto it = severity.find(rule); it != severity.end()) {
        return it->second;
    }
    const RuleInfo* info = find_rule(rule);
    return info != nullptr ? info->default_severity : Severity::error;
}

fs::path shipped_policies_dir() {
    if (const char* env = std::getenv("SAFE_MIGRATE_POLICIES"); env != nullptr && *env != '\0') {
        return env;
    }
    return core::share_dir() / "policies";
}

Policy parse_policy(const std::string& text, const fs::path& file) {
    std::set<fs::path> seen{fs::weakly_canonical(file)};
    return parse_with_chain(text, file, seen);
}

Policy load_policy(const std::optional<std::string>& name_or_path) {
    fs::path file;
    if (name_or_path) {
        file = resolve(*name_or_path, fs::current_path());
    } else if (fs::exists("safe-migrate-policy.toml")) {
        file = "safe-migrate-policy.toml";
    } else {
        file = resolve("default", fs::current_path());
    }
    if (!fs::exists(file)) {
        throw Error(ExitCode::invalid_input, "policy file " + file.string() + " does not exist");
    }
    return parse_policy(util::read_file(file), file);
}

std::string policy_hash(const Policy& policy) {
    // One "key=value" line each, rules in id order; add every new field here.
    std::map<std::string, std::string> lines;
    lines["pg_version"] = std::to_string(policy.pg_version / 10000);
    lines["thresholds.max_lock_timeout_ms"] = std::to_string(policy.max_lock_timeout_ms);
    lines["thresholds.small_table_bytes"] = std::to_string(policy.small_table_bytes);
    for (const auto& rule : rule_catalog()) {
        lines["rules." + std::string(rule.id)] = severity_name(policy.severity_of(rule.id));
    }
    std::string canonical;
    for (const auto& [key, value] : lines) {
        canonical.append(key).append("=").append(value).append("\n");
    }
    return core::sha256_hex(canonical);
}

}  // namespace sm::planner
