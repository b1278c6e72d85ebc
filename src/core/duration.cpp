#include "core/duration.hpp"

#include <charconv>

#include "util/strings.hpp"

namespace sm::core {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    text = util::trim(text);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() || value < 0) {
        return std::nullopt;
    }
    std::string unit =
        util::to_lower(util::trim(std::string_view(end, text.data() + text.size() - end)));
    long long factor = 0;
    if (unit.empty() || unit == "ms") {
        factor = 1;
    } else if (unit == "s" || unit == "sec" || unit == "secs") {
        factor = 1000;
    } else if (unit == "min" || unit == "mins" || unit == "m") {
        factor = 60'000;
    } else if (unit == "h") {
        factor = 3'600'000;
    } else if (unit == "d") {
        factor = 86'400'000;
    } else {
        return std::nullopt;
    }
    // PostgreSQL's timeouts are int milliseconds; anything larger is a mistake.
    constexpr long long k_max_ms = 2147483647;
    if (value > k_max_ms / factor) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(value * factor);
}

std::string to_pg_setting(std::chrono::milliseconds d) {
    if (d.count() == 0) {
        return "0";
    }
    return std::to_string(d.count()) + "ms";
}

}  // namespace sm::core
