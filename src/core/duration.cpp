#include "core/duration.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/strings.hpp"

namespace sm::core {
namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

std::optional<std::chrono::milliseconds> parse(std::string_view text, bool bare_is_ms) {
    text = util::trim(text);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() || value < 0) {
        return std::nullopt;
    }
    std::string unit = util::to_lower(std::string_view(end, text.data() + text.size() - end));
    long long factor = 0;
    if (unit == "ms" || (unit.empty() && (bare_is_ms || value == 0))) {
        factor = 1;
    } else if (unit == "s") {
        factor = 1000;
    } else if (unit == "min") {
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

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    return parse(text, false);
}

std::optional<std::chrono::milliseconds> parse_pg_duration(std::string_view text) {
    return parse(text, true);
}

std::string duration_problem(std::string_view text) {
    std::string t(util::trim(text));
    if (all_digits(t)) {
        return "'" + t + "' has no unit (write " + t + "ms, " + t + "s, " + t + "min, " + t +
               "h or " + t + "d)";
    }
    return "'" + t + "' is not a duration (a number and a unit: ms, s, min, h or d, such as 30s)";
}

std::string to_pg_setting(std::chrono::milliseconds d) {
    if (d.count() == 0) {
        return "0";
    }
    return std::to_string(d.count()) + "ms";
}

}  // namespace sm::core
