#include "core/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <functional>
#include <vector>

#include "core/conninfo.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

// Reads one table against its schema. Each handler receives the node and the
// "file:line: key" text to name in errors.
class TableReader {
  public:
    using Handler = std::function<void(const toml::node&, const std::string& where)>;

    TableReader(std::string file, std::string prefix)
        : m_file(std::move(file)), m_prefix(std::move(prefix)) {}

    void on(const std::string& key, Handler handler) {
        m_handlers.emplace_back(key, std::move(handler));
    }

    void read(const toml::table& table) const {
        for (const auto& [key, node] : table) {
            std::string name(key.str());
            const Handler* handler = nullptr;
            for (const auto& [known, h] : m_handlers) {
                if (known == name) {
                    handler = &h;
                }
            }
            if (handler == nullptr) {
                throw Error(ExitCode::invalid_input,
                            where(node, name) + "unknown key '" + full(name) + "'",
                            suggestion(name));
            }
            (*handler)(node, where(node, name) + "'" + full(name) + "'");
        }
    }

    std::string where(const toml::node& node, const std::string& /*key*/) const {
        return m_file + ":" + std::to_string(node.source().begin.line) + ": ";
    }

  private:
    std::string full(const std::string& key) const {
        return m_prefix.empty() ? key : m_prefix + "." + key;
    }

    std::string suggestion(const std::string& key) const {
        std::string best;
        size_t best_distance = 3;
        for (const auto& [known, h] : m_handlers) {
            size_t d = util::edit_distance(key, known);
            if (d < best_distance) {
                best_distance = d;
                best = known;
            }
        }
        return best.empty() ? "" : "Did you mean '" + full(best) + "'?";
    }

    std::string m_file;
    std::string m_prefix;
    std::vector<std::pair<std::string, Handler>> m_handlers;
};

[[noreturn]] void wrong_type(const std::string& where, const char* expected) {
    throw Error(ExitCode::invalid_input, where + " must be " + expected);
}

std::string get_string(const toml::node& node, const std::string& where) {
    auto value = node.value<std::string>();
    if (!node.is_string() || !value) {
        wrong_type(where, "a string");
    }
    return expand_env(*value, where);
}

bool get_bool(const toml::node& node, const std::string& where) {
    if (!node.is_boolean()) {
        wrong_type(where, "true or false");
    }
    return *node.value<bool>();
}

int get_count(const toml::node& node, const std::string& where, int max) {
    if (!node.is_integer()) {
        wrong_type(where, "an integer");
    }
    int64_t value = *node.value<int64_t>();
    if (value < 0 || value > max) {
        throw Error(ExitCode::invalid_input,
                    where + " must be between 0 and " + std::to_string(max));
    }
    return static_cast<int>(value);
}

std::chrono::milliseconds get_duration(const toml::node& node, const std::string& where) {
    std::string text = get_string(node, where);
    auto d = parse_duration(text);
    if (!d) {
        throw Error(ExitCode::invalid_input, where + " is not a duration: '" + text + "'",
                    "Write a number with a unit: 500ms, 5s, 30min, 2h, or 0 for no limit.");
    }
    return *d;
}

const toml::table& get_table(const toml::node& node, const std::string& where) {
    if (!node.is_table()) {
        wrong_type(where, "a table");
    }
    return *node.as_table();
}

void read_execute(const toml::table& table, ExecuteSettings& s, const std::string& file,
                  const std::string& prefix) {
    TableReader r(file, prefix);
    r.on("lock_timeout", [&](auto& n, auto& w) { s.lock_timeout = get_duration(n, w); });
    r.on("statement_timeout", [&](auto& n, auto& w) { s.statement_timeout = get_duration(n, w); });
    r.on("lock_retries", [&](auto& n, auto& w) { s.lock_retries = get_count(n, w, 100); });
    r.on("retry_base_delay", [&](auto& n, auto& w) { s.retry_base_delay = get_duration(n, w); });
    r.on("retry_max_delay", [&](auto& n, auto& w) { s.retry_max_delay = get_duration(n, w); });
    r.on("lock_wait", [&](auto& n, auto& w) { s.lock_wait = get_duration(n, w); });
    r.on("allow_out_of_order", [&](auto& n, auto& w) { s.allow_out_of_order = get_bool(n, w); });
    r.read(table);
}

}  // namespace

bool Config::is_protected() const {
    if (!environment) {
        return false;
    }
    auto it = environments.find(*environment);
    return it != environments.end() && it->second.is_protected;
}

std::string expand_env(const std::string& value, const std::string& where) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '$') {
            out += value[i];
            continue;
        }
        if (i + 1 < value.size() && value[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (i + 1 < value.size() && value[i + 1] == '{') {
            size_t close = value.find('}', i + 2);
            if (close == std::string::npos) {
                throw Error(ExitCode::invalid_input,
                            where + " has an unterminated ${...} reference");
            }
            std::string name = value.substr(i + 2, close - i - 2);
            const char* env = std::getenv(name.c_str());
            if (env == nullptr) {
                throw Error(ExitCode::invalid_input, where + " references environment variable " +
                                                         name + ", which is not set");
            }
            out += env;
            i = close;
            continue;
        }
        out += '$';
    }
    return out;
}

Config parse_config(const std::string& text, const std::filesystem::path& file_name,
                    const std::optional<std::string>& environment) {
    std::string file = file_name.string();
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw Error(ExitCode::invalid_input, file + ":" + std::to_string(e.source().begin.line) +
                                                 ": " + std::string(e.description()));
    }

    Config config;
    config.file = file_name;
    config.project_dir = file_name.has_parent_path() ? file_name.parent_path() : ".";
    std::filesystem::path migrations = "migrations";
    std::map<std::string, ExecuteSettings> env_execute;
    std::map<std::string, const toml::table*> env_execute_tables;

    TableReader top(file, "");
    top.on("migrations_dir", [&](auto& n, auto& w) { migrations = get_string(n, w); });
    top.on("database", [&](auto& n, auto& w) {
        TableReader r(file, "database");
        r.on("url", [&](auto& n2, auto& w2) {
            config.database_url = get_string(n2, w2);
            register_conninfo_secrets(*config.database_url);
        });
        r.on("application_name",
             [&](auto& n2, auto& w2) { config.application_name = get_string(n2, w2); });
        r.read(get_table(n, w));
    });
    top.on("execute", [&](auto& n, auto& w) {
        read_execute(get_table(n, w), config.execute, file, "execute");
    });
    top.on("environments", [&](auto& n, auto& w) {
        for (const auto& [key, env_node] : get_table(n, w)) {
            std::string name(key.str());
            std::string prefix = "environments." + name;
            EnvironmentConfig env;
            env.name = name;
            TableReader r(file, prefix);
            r.on("protected", [&](auto& n2, auto& w2) { env.is_protected = get_bool(n2, w2); });
            r.on("database_url", [&](auto& n2, auto& w2) {
                // Only the selected environment's variables need to be set.
                if (environment && *environment == name) {
                    env.database_url = get_string(n2, w2);
                    register_conninfo_secrets(*env.database_url);
                } else if (!n2.is_string()) {
                    wrong_type(w2, "a string");
                }
            });
            r.on("execute",
                 [&](auto& n2, auto& w2) { env_execute_tables[name] = &get_table(n2, w2); });
            r.read(get_table(env_node, r.where(env_node, name) + "'" + prefix + "'"));
            config.environments[name] = env;
        }
    });
    top.read(root);

    // Every environment's overrides are checked, whichever one is selected.
    for (const auto& [name, table] : env_execute_tables) {
        ExecuteSettings scratch;
        read_execute(*table, scratch, file, "environments." + name + ".execute");
    }
    if (environment) {
        auto it = config.environments.find(*environment);
        if (it == config.environments.end()) {
            std::vector<std::string> names;
            for (const auto& [name, env] : config.environments) {
                names.push_back(name);
            }
            throw Error(ExitCode::invalid_input,
                        file + ": environment '" + *environment + "' is not declared",
                        names.empty() ? "Declare it as [environments." + *environment + "]."
                                      : "Declared environments: " + util::join(names, ", ") + ".");
        }
        config.environment = environment;
        if (it->second.database_url) {
            config.database_url = it->second.database_url;
        }
        if (auto t = env_execute_tables.find(*environment); t != env_execute_tables.end()) {
            read_execute(*t->second, config.execute, file,
                         "environments." + *environment + ".execute");
        }
    }
    config.migrations_dir = migrations.is_absolute()
                                ? migrations
                                : std::filesystem::absolute(config.project_dir / migrations);
    return config;
}

Config load_config(const std::optional<std::filesystem::path>& explicit_path,
                   const std::optional<std::string>& environment) {
    std::filesystem::path path = explicit_path.value_or(k_config_file_name);
    if (!std::filesystem::exists(path)) {
        if (explicit_path) {
            throw Error(ExitCode::invalid_input,
                        "config file " + path.string() + " does not exist");
        }
        Config config;
        config.project_dir = ".";
        config.migrations_dir = std::filesystem::absolute("migrations");
        if (environment) {
            // Without a file, environments carry no settings; the name is still recorded.
            config.environment = environment;
        }
        return config;
    }
    return parse_config(util::read_file(path), path, environment);
}

}  // namespace sm::core
