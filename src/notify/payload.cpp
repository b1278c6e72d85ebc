#include "notify/payload.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "util/time.hpp"

namespace sm::notify {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* k_green = "#2eb67d";
constexpr const char* k_amber = "#ecb22e";
constexpr const char* k_red = "#e01e5a";

// Slack limits: section field text 2000 chars, header plain_text 150, at most
// 10 fields per section, context element text 3000.
constexpr size_t k_field_limit = 2000;
constexpr size_t k_header_limit = 150;
constexpr size_t k_context_limit = 2000;
constexpr size_t k_max_fields = 10;
constexpr size_t k_migrations_listed = 5;

constexpr std::string_view k_ellipsis = "\xE2\x80\xA6";  // U+2026

// Compact JSON; invalid UTF-8 in a value becomes U+FFFD instead of throwing.
std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json string_or_null(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

Json int_or_null(const std::optional<int64_t>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// The part after the dot of an event type ("deploy.succeeded" -> "succeeded").
std::string type_suffix(const std::string& type) {
    auto dot = type.find('.');
    return dot == std::string::npos ? std::string() : type.substr(dot + 1);
}

// The part before the dot ("deploy.succeeded" -> "deploy").
std::string type_prefix(const std::string& type) {
    auto dot = type.find('.');
    return dot == std::string::npos ? type : type.substr(0, dot);
}

std::string one_line(std::string_view text);

std::string status_of(const Event& e) {
    if (!e.status.empty()) {
        return e.status;
    }
    std::string suffix = type_suffix(e.type);
    return suffix.empty() ? std::string("unknown") : suffix;
}

// The status as words: "rolled_back" -> "rolled back".
std::string status_words(const Event& e) {
    std::string s = one_line(status_of(e));
    for (char& c : s) {
        if (c == '_') {
            c = ' ';
        }
    }
    return s;
}

std::string emoji_for(const Event& e) {
    if (e.type == "notify.test") {
        return ":test_tube:";
    }
    if (type_prefix(e.type) == "backup") {
        return ":floppy_disk:";
    }
    std::string status = status_of(e);
    if (status == "started") {
        return ":rocket:";
    }
    if (status == "succeeded" || status == "completed" || status == "applied") {
        return ":white_check_mark:";
    }
    if (status == "failed" || status == "rollback_incomplete") {
        return ":x:";
    }
    if (status == "rolled_back") {
        return ":leftwards_arrow_with_hook:";
    }
    if (status == "blocked") {
        return ":no_entry:";
    }
    return ":information_source:";
}

std::string color_for(const Event& e) {
    std::string status = status_of(e);
    if (status == "failed" || status == "rollback_incomplete" || e.type == "deploy.failed" ||
        e.type == "backup.failed" || e.type == "restore.failed") {
        return k_red;
    }
    if (status == "succeeded" || status == "completed" || status == "test" || status == "applied" ||
        e.type == "notify.test") {
        return k_green;
    }
    // started, rolled_back, blocked, and anything unknown.
    return k_amber;
}

// Control characters (newlines, tabs, ...) become spaces: every value stays on
// its line.
std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? ' ' : c;
    }
    return out;
}

// Slack mrkdwn escaping of the three control characters.
std::string escape_mrkdwn(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// User-provided value for mrkdwn: one line, escaped.
std::string esc(std::string_view text) {
    return escape_mrkdwn(one_line(text));
}

// Cuts text to at most limit bytes (so also at most limit characters), ending
// with an ellipsis when cut. Never splits a UTF-8 sequence or an entity
// (&amp; &lt; &gt;) produced by escape_mrkdwn.
std::string truncate(const std::string& text, size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    size_t cut = limit > k_ellipsis.size() ? limit - k_ellipsis.size() : 0;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    auto amp = text.rfind('&', cut == 0 ? 0 : cut - 1);
    if (amp != std::string::npos && cut > 0) {
        auto semi = text.find(';', amp);
        if (semi == std::string::npos || semi >= cut) {
            // The cut falls inside an entity that starts at amp (entities are
            // at most 5 bytes).
            if (cut - amp < 5) {
                cut = amp;
            }
        }
    }
    return text.substr(0, cut) + std::string(k_ellipsis);
}

std::string version_text(const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string("none");
}

// "3 -> 5" with the given arrow, or "" when neither version is known.
std::string versions(const Event& e, std::string_view arrow) {
    if (!e.version_from && !e.version_to) {
        return {};
    }
    if (!e.version_to) {
        return "at " + version_text(e.version_from);
    }
    return version_text(e.version_from) + " " + std::string(arrow) + " " +
           version_text(e.version_to);
}

// e.duration_ms for people, as every other duration the tool shows.
std::string duration_text(const Event& e) {
    return util::format_duration(std::chrono::milliseconds(e.duration_ms));
}

bool shows_duration(const Event& e) {
    return status_of(e) != "started" && e.duration_ms > 0;
}

std::string environment_label(const Event& e) {
    return e.environment.empty() ? std::string("no environment") : one_line(e.environment);
}

Json mrkdwn(const std::string& text) {
    Json j;
    j["type"] = "mrkdwn";
    j["text"] = text;
    return j;
}

Json field(const std::string& label, const std::string& escaped_value) {
    return mrkdwn(truncate("*" + label + "*\n" + escaped_value, k_field_limit));
}

std::string migrations_text(const std::vector<std::string>& names) {
    std::string out = std::to_string(names.size());
    size_t listed = 0;
    for (const auto& name : names) {
        if (listed == k_migrations_listed) {
            break;
        }
        out += "\n" + esc(name);
        ++listed;
    }
    if (names.size() > listed) {
        out += "\n" + std::string(k_ellipsis) + " and " + std::to_string(names.size() - listed) +
               " more";
    }
    return out;
}

Json section_fields(const Event& e) {
    Json fields = Json::array();
    if (!e.target.database.empty() || !e.target.host.empty()) {
        std::string db = esc(e.target.database.empty() ? "?" : e.target.database);
        if (!e.target.host.empty()) {
            db += " on " + esc(e.target.host);
        }
        fields.push_back(field("Database", db));
    }
    if (std::string v = versions(e, "\xE2\x86\x92"); !v.empty()) {  // U+2192
        fields.push_back(field("Version", v));
    }
    if (shows_duration(e)) {
        fields.push_back(field("Duration", duration_text(e)));
    }
    if (!e.migrations.empty()) {
        fields.push_back(field("Migrations", migrations_text(e.migrations)));
    }
    if (e.backup && !e.backup->id.empty()) {
        std::string b = esc(e.backup->id);
        b += e.backup->verified ? " (verified)" : " (not verified)";
        fields.push_back(field("Backup", b));
    }
    if (e.error) {
        std::string text = esc(e.error->code);
        if (!e.error->message.empty()) {
            text += (text.empty() ? "" : ": ") + esc(e.error->message);
        }
        fields.push_back(field("Error", text));
    }
    if (e.rollback) {
        std::string text = esc(e.rollback->means);
        if (!e.rollback->undone.empty()) {
            text += ": " + migrations_text(e.rollback->undone);
        }
        text += e.rollback->complete ? " (back at the starting version)" : " (incomplete)";
        if (!e.rollback->manual_action.empty()) {
            text += "\n" + esc(e.rollback->manual_action);
        }
        fields.push_back(field("Rollback", text));
    }
    if (!e.runbook.empty()) {
        fields.push_back(field("Runbook", esc(e.runbook)));
    }
    if (fields.empty()) {
        // A section needs text or fields; say at least what happened.
        fields.push_back(field("Event", esc(e.type)));
    }
    while (fields.size() > k_max_fields) {
        fields.erase(fields.size() - 1);
    }
    return fields;
}

bool is_web_link(const std::string& link) {
    return link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0;
}

std::string context_text(const Event& e) {
    std::vector<std::string> parts;
    if (!e.actor.empty()) {
        parts.push_back(esc(e.actor));
    }
    parts.push_back("safe-migrate" +
                    (e.tool_version.empty() ? std::string() : " " + esc(e.tool_version)));
    if (is_web_link(e.link)) {
        std::string url;
        for (char c : one_line(e.link)) {
            if (c == '|') {
                url += "%7C";
            } else if (c == ' ') {
                url += "%20";
            } else {
                url += c;
            }
        }
        parts.push_back("<" + escape_mrkdwn(url) + "|run>");
    } else if (!e.run_id.empty()) {
        parts.push_back("run " + esc(e.run_id));
    }
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) {
            out += " \xC2\xB7 ";  // U+00B7 middle dot
        }
        out += p;
    }
    return truncate(out, k_context_limit);
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
    constexpr std::string_view prefix = "whsec_";
    if (secret.rfind(prefix, 0) == 0) {
        auto key = base64_decode(std::string_view(secret).substr(prefix.size()));
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

std::string summary_line(const Event& e) {
    std::string line =
        emoji_for(e) + " " + esc(type_prefix(e.type)) + " " + escape_mrkdwn(status_words(e));
    if (!e.environment.empty()) {
        line += " on " + esc(e.environment);
    }
    if (!e.target.database.empty()) {
        line += " (" + esc(e.target.database) + ")";
    }
    std::string v = versions(e, "->");
    bool duration = shows_duration(e);
    if (!v.empty() || duration) {
        line += ":";
        if (!v.empty()) {
            line += " " + v;
        }
        if (duration) {
            line += " in " + duration_text(e);
        }
    }
    if (e.error && !e.error->code.empty()) {
        line += " [" + esc(e.error->code) + "]";
    }
    return line;
}

std::string slack_body(const Event& e) {
    Json header_text;
    header_text["type"] = "plain_text";
    header_text["text"] = truncate(emoji_for(e) + " " + one_line(type_prefix(e.type)) + " " +
                                       status_words(e) + " (" + environment_label(e) + ")",
                                   k_header_limit);
    header_text["emoji"] = true;
    Json header;
    header["type"] = "header";
    header["text"] = header_text;

    Json section;
    section["type"] = "section";
    section["fields"] = section_fields(e);

    Json context;
    context["type"] = "context";
    context["elements"] = Json::array({mrkdwn(context_text(e))});

    Json attachment;
    attachment["color"] = color_for(e);
    attachment["blocks"] = Json::array({header, section, context});

    Json body;
    body["text"] = summary_line(e);
    body["attachments"] = Json::array({attachment});
    return dump(body);
}

}  // namespace sm::notify
