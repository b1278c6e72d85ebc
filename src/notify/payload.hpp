#pragma once
// What goes over the wire: the generic envelope (Standard Webhooks style), its
// signature, and the Slack Block Kit message. Pure functions of an Event.

#include <optional>
#include <string>

#include "notify/event.hpp"

namespace sm::notify {

// {"id", "type", "timestamp", "data": {environment, target, version_from,
// version_to, migrations, status, started_at, duration_ms, backup, error,
// rollback, policy_override, runbook, runbook_url, spooled_at, stale, run_id,
// actor, tool_version, link}} as compact JSON. Absent values are null.
std::string generic_body(const Event& e);

// The event generic_body(e) was made from (the spool keeps events in that
// form); std::nullopt when body is not such an envelope. Unknown keys are
// ignored, missing ones left empty.
std::optional<Event> event_from_generic(const std::string& body);

// Standard Webhooks signature: "v1," + base64(HMAC-SHA256(secret,
// id + "." + timestamp + "." + body)). timestamp is Unix seconds as text. A
// secret starting with "whsec_" is base64-decoded first (the convention);
// other secrets are used as raw bytes.
// Throws sm::Error (invalid_input) naming the endpoint when secret cannot sign
// (empty, or "whsec_" followed by something that is not base64).
void check_signing_secret(const std::string& endpoint, const std::string& secret);

std::string sign(const std::string& secret, const std::string& id, const std::string& timestamp,
                 const std::string& body);

// True when signature (possibly several space-separated "v1,..." entries)
// holds one that matches. For tests and for receivers written in C++.
bool verify_signature(const std::string& secret, const std::string& id,
                      const std::string& timestamp, const std::string& body,
                      const std::string& signature);

// A Slack incoming-webhook message: {"text": fallback, "attachments": [{"color":
// "#2eb67d"|"#ecb22e"|"#e01e5a", "blocks": [header (emoji + what + environment),
// section with fields (database, version from -> to, duration, migrations,
// backup id, error), context (actor, tool version, link)]}]}.
// text is a one-line summary usable as the phone notification.
std::string slack_body(const Event& e);

// The one-line summary used as Slack's fallback text:
// ":white_check_mark: deploy succeeded on production (app): 3 -> 5 in 12.3s".
std::string summary_line(const Event& e);

}  // namespace sm::notify
