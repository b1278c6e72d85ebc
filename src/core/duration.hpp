#pragma once
// Durations as written in configs, directives and flags, in PostgreSQL's units.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sm::core {

// Parses "500ms", "5s", "30min", "2h", "1d" (and "0", meaning no limit) into
// milliseconds. A bare number is milliseconds, as in PostgreSQL. std::nullopt on
// anything else, including negative values and values above 2147483647 ms
// (about 24.8 days, PostgreSQL's largest timeout).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The value for SET lock_timeout / statement_timeout: "5000ms", or "0".
std::string to_pg_setting(std::chrono::milliseconds d);

}  // namespace sm::core
