#include "core/conninfo.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "core/conninfo_check.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"

namespace sm::core {
namespace {

struct Parsed {
    bool ok = false;
    std::string error;
    std::map<std::string, std::string> values;
};

Parsed parse(const std::string& conninfo) {
    Parsed parsed;
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
    if (options == nullptr) {
        parsed.error = err != nullptr ? err : "out of memory";
        if (err != nullptr) {
            PQfreemem(err);
        }
        return parsed;
    }
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val != nullptr) {
            parsed.values[o->keyword] = o->val;
        }
    }
    PQconninfoFree(options);
    parsed.ok = true;
    return parsed;
}

}  // namespace

const char* target_source_name(TargetSource source) {
    switch (source) {
        case TargetSource::flag:
            return "--database-url";
        case TargetSource::environment:
            return "the environment's database_url";
        case TargetSource::config:
            return "[database] url";
        case TargetSource::env_database_url:
            return "DATABASE_URL";
        case TargetSource::libpq_defaults:
            return "libpq environment";
    }
    return "unknown";
}

void register_conninfo_secrets(const std::string& conninfo) {
    Parsed parsed = parse(conninfo);
    if (!parsed.ok || conninfo_problem(conninfo)) {
        register_malformed_secrets(conninfo);
    }
    if (auto it = parsed.values.find("password"); it != parsed.values.end()) {
        util::register_secret(it->second);
    }
}

namespace {

// host, port, database and user, libpq's defaults (PG* variables included)
// filling what conninfo leaves out; for comparing targets and naming them.
std::map<std::string, std::string> identity_of(const std::string& conninfo) {
    std::map<std::string, std::string> id = parse(conninfo).values;
    PQconninfoOption* defaults = PQconndefaults();
    for (PQconninfoOption* o = defaults; o != nullptr && o->keyword != nullptr; ++o) {
        if (o->val != nullptr && id[o->keyword].empty()) {
            id[o->keyword] = o->val;
        }
    }
    PQconninfoFree(defaults);
    if (id["dbname"].empty()) {
        id["dbname"] = id["user"];
    }
    if (id["host"].empty()) {
        id["host"] = id["hostaddr"];
    }
    return {
        {"host", id["host"]}, {"port", id["port"]}, {"dbname", id["dbname"]}, {"user", id["user"]}};
}

std::string identity_display(const std::map<std::string, std::string>& id) {
    const std::string& host = id.at("host");
    return "postgresql://" + id.at("user") + "@" +
           (host.find('/') != std::string::npos ? "[" + host + "]" : host) + ":" + id.at("port") +
           "/" + id.at("dbname");
}

struct Candidate {
    std::string conninfo;
    TargetSource source;
    std::string name;  // for messages
};

}  // namespace

Target resolve_target(const TargetInputs& inputs) {
    std::vector<Candidate> given;
    auto add = [&](const std::optional<std::string>& url, TargetSource source, std::string name) {
        if (url && !url->empty()) {
            register_conninfo_secrets(*url);
            validate_conninfo(*url, name);
            given.push_back({*url, source, std::move(name)});
        }
    };
    add(inputs.flag, TargetSource::flag, "--database-url");
    add(inputs.environment_url, TargetSource::environment,
        "[environments." + inputs.environment + "] database_url");
    add(inputs.config_url, TargetSource::config, "[database] url");
    const char* env = std::getenv("DATABASE_URL");
    add(env != nullptr ? std::optional<std::string>(env) : std::nullopt,
        TargetSource::env_database_url, "DATABASE_URL");
    if (const char* pw = std::getenv("PGPASSWORD"); pw != nullptr) {
        util::register_secret(pw);
    }
    if (given.empty()) {
        return {"", TargetSource::libpq_defaults, {}};
    }

    // The first one given wins; the others must name the same database,
    // unless the winner is the command line's explicit choice.
    Target target{given.front().conninfo, given.front().source, {}};
    auto chosen = identity_of(target.conninfo);
    for (size_t i = 1; i < given.size(); ++i) {
        auto other = identity_of(given[i].conninfo);
        if (other == chosen) {
            continue;
        }
        std::string named = given[i].name + " (" + identity_display(other) + ")";
        if (target.source == TargetSource::flag) {
            target.overridden.push_back(named);
            continue;
        }
        throw Error(ExitCode::invalid_input,
                    "conflicting targets: " + given.front().name + " names " +
                        identity_display(chosen) + " but " + named + " names another database",
                    "Nothing was done. Make them name the same database, unset the one you do "
                    "not mean, or choose with --database-url.");
    }
    return target;
}

std::string redacted_conninfo(const std::string& conninfo) {
    Parsed parsed = parse(conninfo);
    if (!parsed.ok) {
        return "<invalid connection string>";
    }
    auto get = [&](const char* key) -> std::string {
        auto it = parsed.values.find(key);
        return it == parsed.values.end() ? "" : it->second;
    };
    std::string out = "postgresql://";
    if (!get("user").empty()) {
        out += get("user") + "@";
    }
    std::string host = get("host");
    if (host.empty()) {
        host = get("hostaddr");
    }
    out += host.find('/') != std::string::npos ? "[" + host + "]" : host;
    if (!get("port").empty()) {
        out += ":" + get("port");
    }
    out += "/" + get("dbname");
    return out;
}

namespace {
std::string kv_quote(const std::string& value) {
    std::string quoted;
    for (char c : value) {
        if (c == '\\' || c == '\'') {
            quoted += '\\';
        }
        quoted += c;
    }
    return "'" + quoted + "'";
}
}  // namespace

SplitConninfo split_password(const std::string& conninfo) {
    validate_conninfo(conninfo);
    Parsed parsed = parse(conninfo);
    SplitConninfo out;
    for (const auto& [key, value] : parsed.values) {
        if (key == "password") {
            out.password = value;
            continue;
        }
        out.conninfo += (out.conninfo.empty() ? "" : " ") + key + "=" + kv_quote(value);
    }
    return out;
}

SplitConninfo split_with_dbname(const std::string& conninfo, const std::string& dbname) {
    SplitConninfo out = split_password(conninfo);
    out.conninfo += (out.conninfo.empty() ? "" : " ") + std::string("dbname=") + kv_quote(dbname);
    return out;
}

std::string with_dbname(const std::string& conninfo, const std::string& dbname) {
    SplitConninfo split = split_with_dbname(conninfo, dbname);
    return split.conninfo + (split.password ? " password=" + kv_quote(*split.password) : "");
}

void validate_conninfo(const std::string& conninfo, const std::string& where) {
    std::optional<std::string> problem = conninfo_problem(conninfo);
    if (!problem && !parse(conninfo).ok) {
        problem = "libpq cannot parse it";
    }
    if (problem) {
        register_malformed_secrets(conninfo);
        throw Error(
            ExitCode::invalid_input,
            "invalid connection string" + (where.empty() ? "" : " in " + where) + ": " + *problem,
            "It is not shown, as it may hold a password. In a URL, write '%' in the user "
            "name or password as %25, '@' as %40, '/' as %2F and ':' as %3A; in key=value "
            "form, put a value that holds spaces in single quotes.");
    }
}

}  // namespace sm::core
