#pragma once
// Keeping secrets out of everything we print, log or store.
//
// Two layers: connection strings are parsed and re-rendered without their
// password (conninfo.hpp), and every secret value we learn is registered here so
// that any text can be scrubbed of it before it leaves the process: passwords
// from connection strings (flag, DATABASE_URL, config, PGPASSWORD), and the
// values of secret config keys (webhook URLs and signing secrets). Ordinary
// config values, even when they come from ${VARS}, are not secrets and are not
// registered (registering a directory name would scrub it from every message).

#include <string>
#include <string_view>

namespace sm::util {

// Remembers a secret so that redact_text() replaces it. Values shorter than
// four characters are ignored (they would mangle ordinary text). Thread-safe.
void register_secret(std::string_view secret);

// Replaces every registered secret with "***", and masks the password in any
// postgres URL ("postgresql://u:pw@h" -> "postgresql://u:***@h") or key/value
// conninfo ("password=pw" -> "password=***") found in text.
std::string redact_text(std::string_view text);

}  // namespace sm::util
