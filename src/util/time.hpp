#pragma once
// Clock helpers: UTC timestamps, human durations.

#include <chrono>
#include <string>

namespace sm::util {

// "2026-11-21T23:15:00Z" (or with milliseconds when with_millis).
std::string format_utc(std::chrono::system_clock::time_point t, bool with_millis = false);
// "1.2s", "340ms", "2min 5s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace sm::util
