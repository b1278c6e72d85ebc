#pragma once
// Clock helpers: UTC timestamps, human durations.

#include <chrono>
#include <string>

namespace sm::util {

// "2026-11-21T23:15:00Z" (or with milliseconds when with_millis).
std::string format_utc(std::chrono::system_clock::time_point t, bool with_millis = false);

// d for people: "340ms" below a second, "12.3s" (rounded to tenths) below a
// minute, "2min 5s" ("2min" on the minute) below an hour, then "1h 2min" (also
// "1h 0min"); from a minute on, the smallest unit shown is cut off, not rounded.
// Just under a minute, where tenths would round up to "60.0s", it reads
// "1min 0s". A negative d reads "0ms".
std::string format_duration(std::chrono::milliseconds d);

// How long since t on the steady clock, in whole milliseconds (what took how long).
std::chrono::milliseconds millis_since(std::chrono::steady_clock::time_point t);

}  // namespace sm::util
