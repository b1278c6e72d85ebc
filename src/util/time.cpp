#include "util/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace sm::util {

std::string format_utc(std::chrono::system_clock::time_point t, bool with_millis) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!with_millis) {
        return std::string(buf) + "Z";
    }
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    return fmt::format("{}.{:03}Z", buf, ms);
}

std::string format_duration(std::chrono::milliseconds d) {
    // A clock that stepped back can make an elapsed time negative.
    const auto ms = std::max<std::chrono::milliseconds::rep>(d.count(), 0);
    if (ms < 1000) {
        return fmt::format("{}ms", ms);
    }
    if (ms < 60'000) {
        std::string seconds = fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
        // Rounding to tenths carries the last 50 ms of a minute into the next unit.
        return seconds == "60.0s" ? std::string("1min 0s") : seconds;
    }
    if (ms < 3'600'000) {
        if (ms % 60'000 < 1000) {
            return fmt::format("{}min", ms / 60'000);
        }
        return fmt::format("{}min {}s", ms / 60'000, (ms % 60'000) / 1000);
    }
    return fmt::format("{}h {}min", ms / 3'600'000, (ms % 3'600'000) / 60'000);
}

std::chrono::milliseconds millis_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t);
}

}  // namespace sm::util
