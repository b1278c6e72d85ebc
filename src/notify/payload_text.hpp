#pragma once
// Text helpers shared by the payload renderers (payload.cpp for the generic
// envelope, payload_slack.cpp for the Slack message): compact JSON, one-line
// and mrkdwn-escaped values, byte-limited truncation, and the words an Event is
// described with. Internal to notify; payload.hpp is the public interface.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "notify/event.hpp"

namespace sm::notify {

using Json = nlohmann::ordered_json;

// U+2026, the mark of a value that was cut.
inline constexpr std::string_view k_ellipsis = "\xE2\x80\xA6";

// j as compact JSON; invalid UTF-8 in a value becomes U+FFFD instead of throwing.
std::string dump(const Json& j);

// text with control characters (newlines, tabs, ...) replaced by spaces, so a
// value stays on its line.
std::string one_line(std::string_view text);

// text with Slack mrkdwn's three control characters escaped (&amp; &lt; &gt;).
std::string escape_mrkdwn(std::string_view text);

// A user-provided value for mrkdwn: one_line, then escape_mrkdwn.
std::string esc(std::string_view text);

// text cut to at most limit bytes (so also at most limit characters), ending
// with k_ellipsis when cut. Never splits a UTF-8 sequence or an entity made by
// escape_mrkdwn.
std::string truncate(const std::string& text, size_t limit);

// The part of an event type before the dot ("deploy.succeeded" -> "deploy"); the
// whole type when it has no dot.
std::string type_prefix(const std::string& type);

// e.status; when empty, the part of e.type after the dot; "unknown" when neither.
std::string status_of(const Event& e);

// status_of as words on one line: "rolled_back" -> "rolled back".
std::string status_words(const Event& e);

// "3 -> 5" with the given arrow, "at 3" when only version_from is known, "" when
// neither version is.
std::string versions(const Event& e, std::string_view arrow);

// True when e has a duration worth showing: it is not a start and took over 0 ms.
bool shows_duration(const Event& e);

// e.duration_ms for people, as util::format_duration writes it ("340ms", "12.3s",
// "2min 5s", "1h 2min").
std::string duration_text(const Event& e);

}  // namespace sm::notify
