#include "core/conninfo.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <memory>

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
        case TargetSource::env_database_url:
            return "DATABASE_URL";
        case TargetSource::config:
            return "config";
        case TargetSource::libpq_defaults:
            return "libpq environment";
    }
    return "unknown";
}

void register_conninfo_secrets(const std::string& conninfo) {
    Parsed parsed = parse(conninfo);
    if (auto it = parsed.values.find("password"); it != parsed.values.end()) {
        util::register_secret(it->second);
    }
}

Target resolve_target(const std::optional<std::string>& flag_url,
                      const std::optional<std::string>& config_url) {
    Target target;
    if (flag_url && !flag_url->empty()) {
        target = {*flag_url, TargetSource::flag};
    } else if (const char* env = std::getenv("DATABASE_URL"); env != nullptr && *env != '\0') {
        target = {env, TargetSource::env_database_url};
    } else if (config_url && !config_url->empty()) {
        target = {*config_url, TargetSource::config};
    } else {
        target = {"", TargetSource::libpq_defaults};
    }
    register_conninfo_secrets(target.conninfo);
    if (const char* pw = std::getenv("PGPASSWORD"); pw != nullptr) {
        util::register_secret(pw);
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
    Parsed parsed = parse(conninfo);
    if (!parsed.ok) {
        throw Error(ExitCode::invalid_input,
                    "invalid connection string: " + util::redact_text(parsed.error));
    }
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

void validate_conninfo(const std::string& conninfo) {
    Parsed parsed = parse(conninfo);
    if (!parsed.ok) {
        throw Error(ExitCode::invalid_input,
                    "invalid connection string: " + util::redact_text(parsed.error));
    }
}

}  // namespace sm::core
