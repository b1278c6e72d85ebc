// The generic webhook envelope and its Standard Webhooks signature (HMAC-SHA256
// through OpenSSL). The Slack message is rendered in payload_slack.cpp; the
// text helpers both share are in payload_text.cpp.

#include "notify/payload.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"
#include "core/version_json.hpp"
#include "notify/payload_text.hpp"
#include "util/error.hpp"

namespace sm::notify {

namespace {

Json string_or_null(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

Json version_or_null(const std::optional<core::Version>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// --- HMAC through OpenSSL (base64: core/base64.hpp) -------------------------

std::string signing_key(const std::string& secret) {
    constexpr std::string_view k_prefix = "whsec_";
    if (secret.rfind(k_prefix, 0) == 0) {
        auto key = core::base64_decode(std::string_view(secret).substr(k_prefix.size()));
        if (!key || key->empty()) {
            throw Error(ExitCode::invalid_input,
                        "webhook signing secret starts with whsec_ but is not valid base64",
                        "Use the secret exactly as issued, or one without the whsec_ prefix.");
        }
        return *key;
    }
    if (secret.empty()) {
        throw Error(ExitCode::invalid_input, "webhook signing secret is empty");
    }
    return secret;
}

}  // namespace

void check_signing_secret(const std::string& endpoint, const std::string& secret) {
    try {
        signing_key(secret);
    } catch (const Error& e) {
        throw Error(e.code(), "notification endpoint '" + endpoint + "': " + e.what(), e.hint());
    }
}

bool is_event_type(const std::string& type) {
    for (const char* known : k_event_types) {
        if (type == known) {
            return true;
        }
    }
    return false;
}

std::string generic_body(const Event& e) {
    Json target;
    target["host"] = string_or_null(e.target.host);
    target["database"] = string_or_null(e.target.database);
    target["server_version"] =
        e.target.server_version > 0 ? Json(e.target.server_version) : Json(nullptr);

    Json backup = nullptr;
    if (e.backup) {
        backup = Json::object();
        backup["id"] = e.backup->id;
        backup["bytes"] = e.backup->bytes;
        backup["verified"] = e.backup->verified;
    }
    Json error = nullptr;
    if (e.error) {
        error = Json::object();
        error["code"] = e.error->code;
        error["message"] = e.error->message;
    }

    Json rollback = nullptr;
    if (e.rollback) {
        rollback = Json::object();
        rollback["means"] = e.rollback->means;
        rollback["undone"] = e.rollback->undone;
        rollback["failed_migration"] = string_or_null(e.rollback->failed_migration);
        rollback["complete"] = e.rollback->complete;
        rollback["manual_action"] = string_or_null(e.rollback->manual_action);
    }

    Json policy_override = nullptr;
    if (e.policy_override) {
        policy_override = Json::object();
        policy_override["policy"] = e.policy_override->policy;
        policy_override["findings"] = e.policy_override->findings;
        policy_override["reason"] = e.policy_override->reason;
    }

    Json data;
    data["environment"] = string_or_null(e.environment);
    data["target"] = target;
    data["version_from"] = version_or_null(e.version_from);
    data["version_to"] = version_or_null(e.version_to);
    data["migrations"] = e.migrations;
    data["status"] = string_or_null(e.status);
    data["started_at"] = string_or_null(e.started_at);
    data["duration_ms"] = e.duration_ms;
    data["backup"] = backup;
    data["error"] = error;
    data["rollback"] = rollback;
    data["policy_override"] = policy_override;
    data["runbook"] = string_or_null(e.runbook);
    data["runbook_url"] = string_or_null(e.runbook_url);
    data["spooled_at"] = string_or_null(e.spooled_at);
    data["stale"] = e.stale;
    data["run_id"] = string_or_null(e.run_id);
    data["actor"] = string_or_null(e.actor);
    data["tool_version"] = string_or_null(e.tool_version);
    data["link"] = string_or_null(e.link);

    Json body;
    body["id"] = e.id;
    body["type"] = e.type;
    body["timestamp"] = e.timestamp;
    body["data"] = data;
    return dump(body);
}

namespace {

std::string text_at(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> int_at(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? std::optional(it->get<int64_t>())
                                                    : std::nullopt;
}

std::optional<core::Version> version_at(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) {
        return core::Version::parse(it->get<std::string>());
    }
    return it != j.end() && it->is_number_integer() ? std::optional(it->get<core::Version>())
                                                    : std::nullopt;
}

std::vector<std::string> list_at(const Json& j, const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it != j.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
    }
    return out;
}

bool bool_at(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

// The optional parts of an event's data (backup, error, rollback, override).
void read_parts(const Json& data, Event& e) {
    if (const auto b = data.find("backup"); b != data.end() && b->is_object()) {
        e.backup = EventBackup{text_at(*b, "id"), int_at(*b, "bytes").value_or(0),
                               bool_at(*b, "verified")};
    }
    if (const auto r = data.find("error"); r != data.end() && r->is_object()) {
        e.error = EventError{text_at(*r, "code"), text_at(*r, "message")};
    }
    if (const auto r = data.find("rollback"); r != data.end() && r->is_object()) {
        e.rollback = EventRollback{text_at(*r, "means"), list_at(*r, "undone"),
                                   text_at(*r, "failed_migration"), bool_at(*r, "complete"),
                                   text_at(*r, "manual_action")};
    }
    if (const auto p = data.find("policy_override"); p != data.end() && p->is_object()) {
        e.policy_override = EventPolicyOverride{
            text_at(*p, "policy"), static_cast<int>(int_at(*p, "findings").value_or(0)),
            text_at(*p, "reason")};
    }
}

}  // namespace

std::optional<Event> event_from_generic(const std::string& body) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_object()) {
        return std::nullopt;
    }
    const Json& data = j["data"];
    Event e;
    e.id = text_at(j, "id");
    e.type = text_at(j, "type");
    e.timestamp = text_at(j, "timestamp");
    e.environment = text_at(data, "environment");
    if (const auto t = data.find("target"); t != data.end() && t->is_object()) {
        e.target = {text_at(*t, "host"), text_at(*t, "database"),
                    static_cast<int>(int_at(*t, "server_version").value_or(0))};
    }
    e.version_from = version_at(data, "version_from");
    e.version_to = version_at(data, "version_to");
    e.migrations = list_at(data, "migrations");
    e.status = text_at(data, "status");
    e.started_at = text_at(data, "started_at");
    e.duration_ms = int_at(data, "duration_ms").value_or(0);
    read_parts(data, e);
    e.runbook = text_at(data, "runbook");
    e.runbook_url = text_at(data, "runbook_url");
    e.spooled_at = text_at(data, "spooled_at");
    e.stale = bool_at(data, "stale");
    e.run_id = text_at(data, "run_id");
    e.actor = text_at(data, "actor");
    e.tool_version = text_at(data, "tool_version");
    e.link = text_at(data, "link");
    return e;
}

std::string sign(const std::string& secret, const std::string& id, const std::string& timestamp,
                 const std::string& body) {
    std::string key = signing_key(secret);
    std::string content;
    content.reserve(id.size() + timestamp.size() + body.size() + 2);
    content += id;
    content += '.';
    content += timestamp;
    content += '.';
    content += body;

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
             &mac_length) == nullptr) {
        throw Error(ExitCode::failure, "hmac-sha256 computation failed in openssl");
    }
    OPENSSL_cleanse(key.data(), key.size());
    return "v1," + core::base64_encode(mac, mac_length);
}

bool verify_signature(const std::string& secret, const std::string& id,
                      const std::string& timestamp, const std::string& body,
                      const std::string& signature) {
    std::string expected;
    try {
        expected = sign(secret, id, timestamp, body);
    } catch (const Error&) {
        return false;
    }
    bool match = false;
    size_t start = 0;
    while (start <= signature.size()) {
        size_t end = signature.find(' ', start);
        if (end == std::string::npos) {
            end = signature.size();
        }
        std::string_view candidate(signature.data() + start, end - start);
        if (candidate.size() == expected.size() &&
            CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
            match = true;
        }
        start = end + 1;
    }
    return match;
}

}  // namespace sm::notify
