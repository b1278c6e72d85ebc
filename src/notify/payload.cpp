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

#include "notify/payload_text.hpp"
#include "util/error.hpp"

namespace sm::notify {

namespace {

Json string_or_null(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

Json int_or_null(const std::optional<int64_t>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// --- base64 and HMAC through OpenSSL ------------------------------------------

std::string base64_encode(const unsigned char* data, size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<size_t>(n < 0 ? 0 : n));
    return out;
}

// Standard base64 (padding optional). std::nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text) {
    std::string padded(text);
    while (padded.size() % 4 != 0) {
        padded += '=';
    }
    for (char c : padded) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=';
        if (!ok) {
            return std::nullopt;
        }
    }
    std::string out(padded.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(padded.data()),
                            static_cast<int>(padded.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
    size_t pad = 0;
    if (!padded.empty() && padded.back() == '=') {
        pad = (padded.size() >= 2 && padded[padded.size() - 2] == '=') ? 2 : 1;
    }
    size_t length = static_cast<size_t>(n);
    out.resize(length >= pad ? length - pad : 0);
    return out;
}

std::string signing_key(const std::string& secret) {
    constexpr std::string_view k_prefix = "whsec_";
    if (secret.rfind(k_prefix, 0) == 0) {
        auto key = base64_decode(std::string_view(secret).substr(k_prefix.size()));
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
    data["version_from"] = int_or_null(e.version_from);
    data["version_to"] = int_or_null(e.version_to);
    data["migrations"] = e.migrations;
    data["status"] = string_or_null(e.status);
    data["started_at"] = string_or_null(e.started_at);
    data["duration_ms"] = e.duration_ms;
    data["backup"] = backup;
    data["error"] = error;
    data["rollback"] = rollback;
    data["policy_override"] = policy_override;
    data["runbook"] = string_or_null(e.runbook);
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
    return "v1," + base64_encode(mac, mac_length);
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
