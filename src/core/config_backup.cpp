// [backup]: where and how backups are kept (config_backup.hpp).
#include "core/config_backup.hpp"

#include <cstdlib>

#include "core/base64.hpp"
#include "core/duration.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

// The host of an endpoint URL ("http://127.0.0.1:9000/x" -> "127.0.0.1").
std::string endpoint_host(const std::string& url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    std::string rest = url.substr(start, url.find('/', start) - start);
    if (!rest.empty() && rest[0] == '[') {
        return rest.substr(0, rest.find(']') + 1);
    }
    return rest.substr(0, rest.find(':'));
}

// [backup] storage = "s3" needs an endpoint (https, or http on loopback) and a bucket.
void check_s3_settings(const BackupSettings& b, const std::string& file) {
    if (b.storage != "s3") {
        return;
    }
    const S3Settings& s = b.s3;
    auto fail = [&](const std::string& key, const std::string& why) {
        throw Error(ExitCode::invalid_input, file + ": [backup] " + key + " " + why);
    };
    if (s.endpoint.empty()) {
        fail("endpoint", "is required with storage = \"s3\"");
    }
    if (s.bucket.empty()) {
        fail("bucket", "is required with storage = \"s3\"");
    }
    bool https = s.endpoint.rfind("https://", 0) == 0;
    if (!https && s.endpoint.rfind("http://", 0) != 0) {
        fail("endpoint", "must start with https:// (or http:// on a loopback address)");
    }
    std::string host = endpoint_host(s.endpoint);
    if (!https && host != "localhost" && host != "[::1]" && host.rfind("127.", 0) != 0) {
        fail("endpoint", "uses plain http:// to " + host +
                             ", which is only accepted on loopback addresses; use https://");
    }
}

void read_backup_storage(TomlReader& r, BackupSettings& b) {
    r.on("storage", [&](auto& n, auto& w) {
        b.storage = toml_string(n, w);
        if (b.storage != "local" && b.storage != "s3") {
            throw Error(ExitCode::invalid_input, w + " must be \"local\" or \"s3\"");
        }
    });
    r.on("endpoint", [&](auto& n, auto& w) { b.s3.endpoint = toml_string(n, w); });
    r.on("bucket", [&](auto& n, auto& w) { b.s3.bucket = toml_string(n, w); });
    r.on("prefix", [&](auto& n, auto& w) {
        b.s3.prefix = std::string(util::trim(toml_string(n, w)));
        while (!b.s3.prefix.empty() && b.s3.prefix.front() == '/') {
            b.s3.prefix.erase(0, 1);
        }
        while (!b.s3.prefix.empty() && b.s3.prefix.back() == '/') {
            b.s3.prefix.pop_back();
        }
    });
    r.on("region", [&](auto& n, auto& w) { b.s3.region = toml_string(n, w); });
    r.on("addressing", [&](auto& n, auto& w) {
        std::string a = toml_string(n, w);
        if (a != "path" && a != "virtual") {
            throw Error(ExitCode::invalid_input, w + " must be \"path\" or \"virtual\"");
        }
        b.s3.virtual_host = a == "virtual";
    });
    auto secret = [&](std::string& into) {
        return [&into](auto& n, auto& w) {
            into = toml_string(n, w);
            util::register_secret(into);
        };
    };
    r.on("access_key_id", secret(b.s3.access_key_id));
    r.on("secret_access_key", secret(b.s3.secret_access_key));
    r.on("session_token", secret(b.s3.session_token));
    r.on("cache_dir", [&](auto& n, auto& w) { b.cache_dir = toml_string(n, w); });
}

// The first ${NAME} in value whose variable is unset ("" when none).
std::string first_unset_variable(const std::string& value) {
    for (size_t i = 0; i + 1 < value.size(); ++i) {
        if (value[i] == '$' && value[i + 1] == '$') {
            ++i;
        } else if (value[i] == '$' && value[i + 1] == '{') {
            size_t close = value.find('}', i + 2);
            if (close == std::string::npos) {
                return "";  // expand_env names the unterminated reference
            }
            std::string name = value.substr(i + 2, close - i - 2);
            if (std::getenv(name.c_str()) == nullptr) {
                return name;
            }
            i = close;
        }
    }
    return "";
}

// [backup] encryption_key: base64 of 32 bytes. The value is never put in a
// message; an unset variable is recorded for the commands that need the key.
EncryptionKey read_encryption_key(const TomlNode& node, const std::string& where) {
    EncryptionKey key;
    if (node.kind == TomlNode::Kind::string) {
        std::string unset = first_unset_variable(node.string);
        if (!unset.empty()) {
            key.unset = where + " references environment variable " + unset + ", which is not set";
            return key;
        }
    }
    std::string raw = toml_string(node, where);
    std::string text(util::trim(raw));
    util::register_secret(text);
    auto bytes = base64_decode(text);
    if (!bytes || bytes->size() != 32) {
        throw Error(ExitCode::invalid_input,
                    where + " must be the base64 of 32 random bytes (the value is not shown)",
                    "Generate a key with 'openssl rand -base64 32' and keep it outside the "
                    "repository, e.g. encryption_key = \"${BACKUP_KEY}\".");
    }
    key.bytes = std::move(*bytes);
    return key;
}

}  // namespace

void read_backup(const TomlNode& table, BackupSettings& b, const std::string& file) {
    TomlReader r(file, "backup");
    read_backup_storage(r, b);
    r.on("dir", [&](auto& n, auto& w) { b.dir = toml_string(n, w); });
    r.on("format", [&](auto& n, auto& w) {
        b.format = toml_string(n, w);
        if (b.format != "directory" && b.format != "custom") {
            throw Error(ExitCode::invalid_input, w + " must be \"directory\" or \"custom\"");
        }
    });
    r.on("jobs", [&](auto& n, auto& w) { b.jobs = toml_int(n, w, 0, 64); });
    r.on("compression", [&](auto& n, auto& w) { b.compression = toml_int(n, w, 0, 9); });
    r.on("lock_wait_timeout", [&](auto& n, auto& w) { b.lock_wait_timeout = toml_duration(n, w); });
    r.on("pg_bin_dir", [&](auto& n, auto& w) { b.pg_bin_dir = toml_string(n, w); });
    r.on("keep_last", [&](auto& n, auto& w) { b.keep_last = toml_int(n, w, 1, 100000); });
    r.on("keep_days", [&](auto& n, auto& w) { b.keep_days = toml_int(n, w, 1, 100000); });
    r.on("count_rows", [&](auto& n, auto& w) { b.count_rows = toml_bool(n, w); });
    r.on("heartbeat", [&](auto& n, auto& w) { b.heartbeat = toml_duration(n, w); });
    r.on("safety_backup", [&](auto& n, auto& w) { b.safety_backup = toml_bool(n, w); });
    r.on("keep_pre_restore", [&](auto& n, auto& w) { b.keep_pre_restore = toml_duration(n, w); });
    r.on("keep_incomplete", [&](auto& n, auto& w) { b.keep_incomplete = toml_duration(n, w); });
    r.on("encryption_key", [&](auto& n, auto& w) { b.encryption_key = read_encryption_key(n, w); });
    r.on("engine", [&](auto& n, auto& w) {
        b.engine = toml_string(n, w);
        if (b.engine != "pg_dump" && b.engine != "pgbackrest") {
            throw Error(ExitCode::invalid_input, w + " must be \"pg_dump\" or \"pgbackrest\"");
        }
    });
    r.on("stanza", [&](auto& n, auto& w) { b.stanza = toml_string(n, w); });
    r.on("pgbackrest_config", [&](auto& n, auto& w) { b.pgbackrest_config = toml_string(n, w); });
    r.on("max_base_backup_age",
         [&](auto& n, auto& w) { b.max_base_backup_age = toml_duration(n, w); });
    r.on("take_base_backup", [&](auto& n, auto& w) { b.take_base_backup = toml_bool(n, w); });
    r.read(table);
    check_s3_settings(b, file);
    if (b.engine == "pgbackrest" && b.stanza.empty()) {
        throw Error(ExitCode::invalid_input,
                    file +
                        ": [backup] engine = \"pgbackrest\" needs stanza (the pgBackRest "
                        "stanza of this cluster)");
    }
}

}  // namespace sm::core
