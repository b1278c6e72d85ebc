#include "core/config.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <functional>
#include <vector>

#include "core/config_backup.hpp"
#include "core/config_checks.hpp"
#include "core/conninfo.hpp"
#include "core/duration.hpp"
#include "core/toml_tree.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

void read_execute(const TomlNode& table, ExecuteSettings& s, const std::string& file,
                  const std::string& prefix) {
    TomlReader r(file, prefix);
    r.on("lock_timeout", [&](auto& n, auto& w) { s.lock_timeout = toml_duration(n, w); });
    r.on("statement_timeout", [&](auto& n, auto& w) { s.statement_timeout = toml_duration(n, w); });
    r.on("lock_retries", [&](auto& n, auto& w) { s.lock_retries = toml_int(n, w, 0, 100); });
    r.on("retry_base_delay", [&](auto& n, auto& w) { s.retry_base_delay = toml_duration(n, w); });
    r.on("retry_max_delay", [&](auto& n, auto& w) { s.retry_max_delay = toml_duration(n, w); });
    r.on("lock_wait", [&](auto& n, auto& w) { s.lock_wait = toml_duration(n, w); });
    r.on("allow_out_of_order", [&](auto& n, auto& w) { s.allow_out_of_order = toml_bool(n, w); });
    r.on("out_of_order", [&](auto& n, auto& w) {
        std::string v = toml_string(n, w);
        if (v != "refuse" && v != "allow" && v != "by-dependency") {
            throw Error(ExitCode::invalid_input,
                        w + " must be \"refuse\", \"allow\" or \"by-dependency\"");
        }
        s.allow_out_of_order = s.allow_out_of_order || v == "allow";
        s.out_of_order_by_dependency = v == "by-dependency";
    });
    r.on("blocker_age", [&](auto& n, auto& w) { s.blocker_age = toml_duration(n, w); });
    r.on("wait_for_blockers", [&](auto& n, auto& w) { s.wait_for_blockers = toml_duration(n, w); });
    r.on("terminate_blockers", [&](auto& n, auto& w) { s.terminate_blockers = toml_bool(n, w); });
    r.on("max_replica_lag", [&](auto& n, auto& w) { s.max_replica_lag = toml_duration(n, w); });
    r.on("max_duration", [&](auto& n, auto& w) { s.max_duration = toml_duration(n, w); });
    r.on("heartbeat", [&](auto& n, auto& w) { s.heartbeat = toml_duration(n, w); });
    r.on("on_failure", [&](auto& n, auto& w) {
        auto policy = parse_failure_policy(toml_string(n, w));
        if (!policy) {
            throw Error(ExitCode::invalid_input,
                        w + " must be \"rollback\", \"restore\" or \"stop\"");
        }
        s.on_failure = *policy;
    });
    r.on("restore_fallback", [&](auto& n, auto& w) { s.restore_fallback = toml_bool(n, w); });
    r.on("restore_terminates_sessions",
         [&](auto& n, auto& w) { s.restore_terminates_sessions = toml_bool(n, w); });
    r.on("allow_policy_override",
         [&](auto& n, auto& w) { s.allow_policy_override = toml_bool(n, w); });
    r.on("old_app_pattern", [&](auto& n, auto& w) { s.old_app_pattern = toml_string(n, w); });
    r.on("checks",
         [&](auto& n, auto& w) { s.checks = read_checks(n, w, file, prefix + ".checks"); });
    r.read(table);
}

void read_backfill(const TomlNode& table, BackfillSettings& b, const std::string& file) {
    TomlReader r(file, "backfill");
    r.on("batch_time", [&](auto& n, auto& w) { b.batch_time = toml_duration(n, w); });
    r.on("sleep_ratio", [&](auto& n, auto& w) {
        bool number = n.kind == TomlNode::Kind::floating || n.kind == TomlNode::Kind::integer;
        double v = n.kind == TomlNode::Kind::floating ? n.floating : static_cast<double>(n.integer);
        if (!number || v < 0 || v > 100) {
            throw Error(ExitCode::invalid_input, w + " must be a number from 0 to 100 (e.g. 0.5)");
        }
        b.sleep_ratio = v;
    });
    r.on("batch_size", [&](auto& n, auto& w) { b.batch_size = toml_int(n, w, 1, 10000000); });
    r.on("max_batch_size",
         [&](auto& n, auto& w) { b.max_batch_size = toml_int(n, w, 1, 10000000); });
    r.on("max_replica_lag", [&](auto& n, auto& w) { b.max_replica_lag = toml_duration(n, w); });
    r.on("check_sql", [&](auto& n, auto& w) { b.check_sql = toml_string(n, w); });
    r.on("pause_poll", [&](auto& n, auto& w) { b.pause_poll = toml_duration(n, w); });
    r.read(table);
}

std::vector<WebhookConfig> read_webhooks(const TomlNode& node, const std::string& where,
                                         const std::string& file, const std::string& prefix) {
    if (node.kind != TomlNode::Kind::array) {
        throw Error(ExitCode::invalid_input,
                    where + " must be an array of tables ([[" + prefix + "]])");
    }
    std::vector<WebhookConfig> hooks;
    for (const auto& item : node.array) {
        WebhookConfig w;
        bool has_kind = false;
        std::string item_where = fmt::format("{}:{}: '{}'", file, item.line, prefix);
        TomlReader r(file, prefix);
        r.on("name", [&](auto& n, auto& wh) { w.name = toml_string(n, wh); });
        r.on("kind", [&](auto& n, auto& wh) {
            std::string kind = toml_string(n, wh);
            if (kind != "slack" && kind != "generic") {
                throw Error(ExitCode::invalid_input, wh + " must be \"slack\" or \"generic\"");
            }
            w.kind = kind == "slack" ? WebhookKind::slack : WebhookKind::generic;
            has_kind = true;
        });
        r.on("url", [&](auto& n, auto& wh) {
            w.url = toml_string(n, wh);
            util::register_secret(w.url);
        });
        r.on("secret", [&](auto& n, auto& wh) {
            w.secret = toml_string(n, wh);
            util::register_secret(w.secret);
        });
        r.on("events", [&](auto& n, auto& wh) {
            if (n.kind != TomlNode::Kind::array) {
                throw Error(ExitCode::invalid_input, wh + " must be a list of event types");
            }
            for (const auto& e : n.array) {
                w.events.push_back(toml_string(e, wh));
            }
        });
        r.on("required", [&](auto& n, auto& wh) { w.required = toml_bool(n, wh); });
        r.on("allow_http", [&](auto& n, auto& wh) { w.allow_http = toml_bool(n, wh); });
        r.read(toml_table(item, item_where));
        if (!has_kind || w.url.empty()) {
            throw Error(ExitCode::invalid_input, item_where + " needs kind and url",
                        "Example: kind = \"slack\", url = \"${SLACK_WEBHOOK_URL}\"");
        }
        if (w.name.empty()) {
            w.name = webhook_kind_name(w.kind) + ("-" + std::to_string(hooks.size() + 1));
        }
        hooks.push_back(std::move(w));
    }
    return hooks;
}

void read_notify(const TomlNode& table, NotifySettings& n, const std::string& file,
                 const std::string& prefix) {
    TomlReader r(file, prefix);
    r.on("webhooks", [&](auto& node, auto& w) {
        n.webhooks = read_webhooks(node, w, file, prefix + ".webhooks");
    });
    r.on("deadline", [&](auto& node, auto& w) { n.deadline = toml_duration(node, w); });
    r.on("attempt_timeout",
         [&](auto& node, auto& w) { n.attempt_timeout = toml_duration(node, w); });
    r.on("connect_timeout",
         [&](auto& node, auto& w) { n.connect_timeout = toml_duration(node, w); });
    r.on("retries", [&](auto& node, auto& w) { n.retries = toml_int(node, w, 0, 20); });
    r.on("spool", [&](auto& node, auto& w) { n.spool = toml_string(node, w); });
    r.on("link", [&](auto& node, auto& w) { n.link = toml_string(node, w); });
    r.on("stale_after", [&](auto& node, auto& w) { n.stale_after = toml_duration(node, w); });
    r.on("runbook_base_url",
         [&](auto& node, auto& w) { n.runbook_base_url = toml_string(node, w); });
    r.read(table);
}

// Relative paths in the config are relative to the project directory.
std::filesystem::path project_path(const std::filesystem::path& project_dir,
                                   const std::filesystem::path& p) {
    return p.is_absolute() ? p : std::filesystem::absolute(project_dir / p);
}

}  // namespace

struct NotifySource {
    std::string file;
    std::optional<TomlNode> table;  // [notify]
    std::string prefix;
    std::optional<TomlNode> env_table;  // [environments.NAME.notify] of the selected one
    std::string env_prefix;
};

const char* webhook_kind_name(WebhookKind kind) {
    return kind == WebhookKind::slack ? "slack" : "generic";
}

NotifySettings Config::notify() const {
    NotifySettings n;
    if (notify_source && notify_source->table) {
        read_notify(*notify_source->table, n, notify_source->file, notify_source->prefix);
    }
    if (notify_source && notify_source->env_table) {
        read_notify(*notify_source->env_table, n, notify_source->file, notify_source->env_prefix);
    }
    const char* default_spool = ".safe-migrate/notify-spool.jsonl";
    n.spool = !notify_source ? std::filesystem::absolute(default_spool)  // no config file
                             : project_path(project_dir, n.spool.empty() ? default_spool : n.spool);
    return n;
}

bool WebhookConfig::wants(const std::string& type) const {
    if (events.empty()) {
        return type != "migration.applied";  // opt-in: one message per migration is noisy
    }
    for (const auto& pattern : events) {
        bool prefix = pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0;
        if (pattern == "*" || pattern == type ||
            (prefix && type.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0)) {
            return true;
        }
    }
    return false;
}

const char* failure_policy_name(FailurePolicy policy) {
    switch (policy) {
        case FailurePolicy::restore:
            return "restore";
        case FailurePolicy::stop:
            return "stop";
        case FailurePolicy::rollback:
            break;
    }
    return "rollback";
}

std::optional<FailurePolicy> parse_failure_policy(std::string_view name) {
    for (auto p : {FailurePolicy::rollback, FailurePolicy::restore, FailurePolicy::stop}) {
        if (name == failure_policy_name(p)) {
            return p;
        }
    }
    return std::nullopt;
}

std::optional<std::string> Config::environment_database_url() const {
    if (!environment) {
        return std::nullopt;
    }
    auto it = environments.find(*environment);
    return it == environments.end() ? std::nullopt : it->second.database_url;
}

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
                throw Error(ExitCode::invalid_input,
                            fmt::format("{} references environment variable {}, which is not set",
                                        where, name));
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
    TomlNode root = parse_toml(text, file);

    Config config;
    auto notify = std::make_shared<NotifySource>();
    notify->file = file;
    config.file = file_name;
    config.project_dir = file_name.has_parent_path() ? file_name.parent_path() : ".";
    std::filesystem::path migrations = "migrations";
    std::map<std::string, const TomlNode*> env_execute_tables;
    std::map<std::string, const TomlNode*> env_notify_tables;

    TomlReader top(file, "");
    top.on("migrations_dir", [&](auto& n, auto& w) { migrations = toml_string(n, w); });
    top.on("layout", [&](auto& n, auto& w) {
        std::string name = toml_string(n, w);
        config.layout = parse_layout(name);
        if (!config.layout) {
            throw Error(ExitCode::invalid_input,
                        w + " must be one of " + layout_names() + " (not \"" + name + "\")");
        }
    });
    top.on("database", [&](auto& n, auto& w) {
        TomlReader r(file, "database");
        r.on("url", [&](auto& n2, auto& w2) {
            config.database_url = toml_string(n2, w2);
            register_conninfo_secrets(*config.database_url);
        });
        r.on("application_name",
             [&](auto& n2, auto& w2) { config.application_name = toml_string(n2, w2); });
        r.read(toml_table(n, w));
    });
    top.on("execute", [&](auto& n, auto& w) {
        read_execute(toml_table(n, w), config.execute, file, "execute");
    });
    top.on("backup", [&](auto& n, auto& w) { read_backup(toml_table(n, w), config.backup, file); });
    top.on("backfill",
           [&](auto& n, auto& w) { read_backfill(toml_table(n, w), config.backfill, file); });
    top.on("restore", [&](auto& n, auto& w) {
        TomlReader r(file, "restore");
        r.on("session_wait",
             [&](auto& n2, auto& w2) { config.restore.session_wait = toml_duration(n2, w2); });
        r.read(toml_table(n, w));
    });
    top.on("notify", [&](auto& n, auto& w) {
        notify->table = toml_table(n, w);
        notify->prefix = "notify";
    });
    top.on("seed", [&](auto& n, auto& w) {
        TomlReader r(file, "seed");
        r.on("dir", [&](auto& n2, auto& w2) { config.seed.dir = toml_string(n2, w2); });
        r.on("scale", [&](auto& n2, auto& w2) { config.seed.scale = toml_int(n2, w2, 1, 100000); });
        r.read(toml_table(n, w));
    });
    top.on("environments", [&](auto& n, auto& w) {
        for (const auto& entry : toml_table(n, w).table) {
            // Named copies: a lambda may not capture a structured binding before C++20.
            const std::string& name = entry.first;
            const TomlNode& env_node = entry.second;
            const std::string prefix = "environments." + name;
            EnvironmentConfig env;
            env.name = name;
            TomlReader r(file, prefix);
            r.on("protected", [&](auto& n2, auto& w2) { env.is_protected = toml_bool(n2, w2); });
            r.on("database_url", [&](auto& n2, auto& w2) {
                // Only the selected environment's variables need to be set.
                if (environment && *environment == name) {
                    env.database_url = toml_string(n2, w2);
                    register_conninfo_secrets(*env.database_url);
                } else if (n2.kind != TomlNode::Kind::string) {
                    throw Error(ExitCode::invalid_input, w2 + " must be a string");
                }
            });
            r.on("execute",
                 [&](auto& n2, auto& w2) { env_execute_tables[name] = &toml_table(n2, w2); });
            r.on("notify",
                 [&](auto& n2, auto& w2) { env_notify_tables[name] = &toml_table(n2, w2); });
            r.read(toml_table(env_node, fmt::format("{}:{}: '{}'", file, env_node.line, prefix)));
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
        if (auto t = env_notify_tables.find(*environment); t != env_notify_tables.end()) {
            // The environment's endpoints replace the top-level ones.
            notify->env_table = *t->second;
            notify->env_prefix = "environments." + *environment + ".notify";
        }
        if (auto t = env_execute_tables.find(*environment); t != env_execute_tables.end()) {
            read_execute(*t->second, config.execute, file,
                         "environments." + *environment + ".execute");
        }
    }
    config.notify_source = notify;
    config.migrations_dir = project_path(config.project_dir, migrations);
    config.backup.dir =
        project_path(config.project_dir, config.backup.dir.empty() ? "backups" : config.backup.dir);
    if (config.seed.dir) {
        config.seed.dir = project_path(config.project_dir, *config.seed.dir);
    }
    if (config.backup.cache_dir) {
        config.backup.cache_dir = project_path(config.project_dir, *config.backup.cache_dir);
    }
    if (config.backup.pgbackrest_config) {
        config.backup.pgbackrest_config =
            project_path(config.project_dir, *config.backup.pgbackrest_config);
    }
    if (config.backup.pg_bin_dir) {
        config.backup.pg_bin_dir = project_path(config.project_dir, *config.backup.pg_bin_dir);
    }
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
        config.backup.dir = std::filesystem::absolute("backups");
        if (environment) {
            // Without a file no environment exists: running "production" with
            // none of its protection would be the worst outcome.
            throw Error(ExitCode::invalid_input,
                        "environment '" + *environment + "' is not declared: there is no " +
                            k_config_file_name + " in " + std::filesystem::current_path().string() +
                            ", so no environment exists",
                        "Declare it as [environments." + *environment + "] in " +
                            k_config_file_name + " (or pass --config FILE), or leave out --env.");
        }
        return config;
    }
    return parse_config(util::read_file(path), path, environment);
}

}  // namespace sm::core
