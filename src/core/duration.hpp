#pragma once
// Durations as written in configs, directives and flags, in PostgreSQL's units.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sm::core {

// Parses "500ms", "5s", "30min", "2h", "1d" (and "0", meaning no limit) into
// milliseconds. The unit is required: a bare "90" could mean 90 ms (as in
// PostgreSQL) or 90 s, so it is refused, as are other spellings ("3 sec").
// std::nullopt on anything else, including negative values and values above
// 2147483647 ms (about 24.8 days, PostgreSQL's largest timeout).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// A PostgreSQL setting's value as SET lock_timeout takes it: parse_duration,
// except that a bare number is milliseconds, as PostgreSQL reads it.
std::optional<std::chrono::milliseconds> parse_pg_duration(std::string_view text);

// Why text is not a duration, for an error message: "'90' has no unit (write
// 90ms, 90s, 90min, 90h or 90d)" or "'3 sec' is not a duration (a number and
// a unit: ms, s, min, h or d, such as 30s)".
std::string duration_problem(std::string_view text);

// The value for SET lock_timeout / statement_timeout: "5000ms", or "0".
std::string to_pg_setting(std::chrono::milliseconds d);

}  // namespace sm::core
