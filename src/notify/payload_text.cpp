// The text helpers both payload renderers use (payload_text.hpp): escaping,
// truncation and the words for an event's type, status, versions and duration.

#include "notify/payload_text.hpp"

#include <chrono>
#include <optional>

#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::notify {

namespace {

// The part after the dot of an event type ("deploy.succeeded" -> "succeeded").
std::string type_suffix(const std::string& type) {
    auto dot = type.find('.');
    return dot == std::string::npos ? std::string() : type.substr(dot + 1);
}

std::string version_text(const std::optional<core::Version>& v) {
    return v ? v->text() : std::string("none");
}

}  // namespace

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? ' ' : c;
    }
    return out;
}

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

std::string esc(std::string_view text) {
    return escape_mrkdwn(one_line(text));
}

std::string truncate(const std::string& text, size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    size_t cut = util::utf8_cut(text, limit > k_ellipsis.size() ? limit - k_ellipsis.size() : 0);
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

std::string type_prefix(const std::string& type) {
    auto dot = type.find('.');
    return dot == std::string::npos ? type : type.substr(0, dot);
}

std::string status_of(const Event& e) {
    if (!e.status.empty()) {
        return e.status;
    }
    std::string suffix = type_suffix(e.type);
    return suffix.empty() ? std::string("unknown") : suffix;
}

std::string status_words(const Event& e) {
    std::string s = one_line(status_of(e));
    for (char& c : s) {
        if (c == '_') {
            c = ' ';
        }
    }
    return s;
}

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

bool shows_duration(const Event& e) {
    return status_of(e) != "started" && e.duration_ms > 0;
}

std::string duration_text(const Event& e) {
    return util::format_duration(std::chrono::milliseconds(e.duration_ms));
}

}  // namespace sm::notify
