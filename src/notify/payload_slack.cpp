// The Slack incoming-webhook message (Block Kit in a coloured attachment) and
// the one-line summary that is its fallback text. Slack's limits are kept here;
// escaping and truncation are in payload_text.cpp.

#include <string>
#include <vector>

#include "notify/payload.hpp"
#include "notify/payload_text.hpp"

namespace sm::notify {

namespace {

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

bool is_web_link(const std::string& link) {
    return link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0;
}

// "<url|label>" for mrkdwn: the URL on one line, with the characters that would
// end it (| and space) percent-encoded.
std::string slack_link(const std::string& link, const std::string& escaped_label) {
    std::string url;
    for (char c : one_line(link)) {
        if (c == '|') {
            url += "%7C";
        } else if (c == ' ') {
            url += "%20";
        } else {
            url += c;
        }
    }
    return "<" + escape_mrkdwn(url) + "|" + escaped_label + ">";
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
    if (e.policy_override) {
        fields.push_back(field("Policy overridden", std::to_string(e.policy_override->findings) +
                                                        " finding(s) of " +
                                                        esc(e.policy_override->policy) + ": " +
                                                        esc(e.policy_override->reason)));
    }
    if (!e.runbook.empty()) {
        fields.push_back(field("Runbook", is_web_link(e.runbook_url)
                                              ? slack_link(e.runbook_url, esc(e.runbook))
                                              : esc(e.runbook)));
    }
    if (e.stale) {
        fields.insert(fields.begin(), field("Delivered late", "spooled at " + esc(e.spooled_at) +
                                                                  ", sent from the spool now"));
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

std::string context_text(const Event& e) {
    std::vector<std::string> parts;
    if (!e.actor.empty()) {
        parts.push_back(esc(e.actor));
    }
    parts.push_back("safe-migrate" +
                    (e.tool_version.empty() ? std::string() : " " + esc(e.tool_version)));
    if (is_web_link(e.link)) {
        parts.push_back(slack_link(e.link, "run"));
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

}  // namespace

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
    if (e.policy_override) {
        line += " [policy overridden]";
    }
    if (e.stale) {
        line += " [late: spooled at " + esc(e.spooled_at) + "]";
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
