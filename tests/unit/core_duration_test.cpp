// Unit tests for src/core/duration.{hpp,cpp}.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/duration.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_duration_test {

using namespace std::chrono_literals;
using sm::core::parse_duration;
using sm::core::to_pg_setting;

TEST_CASE("parse_duration accepts PostgreSQL units", "[duration]") {
    CHECK(parse_duration("500ms") == std::chrono::milliseconds(500));
    CHECK(parse_duration("5s") == std::chrono::milliseconds(5000));
    CHECK(parse_duration("30min") == std::chrono::milliseconds(30 * 60 * 1000));
    CHECK(parse_duration("2h") == std::chrono::milliseconds(2 * 3600 * 1000));
    CHECK(parse_duration("1d") == std::chrono::milliseconds(86'400'000));
}

TEST_CASE("parse_duration: a unit is required, 0 means no limit", "[duration]") {
    // Regression: a bare number was milliseconds, so --lock-timeout 90 meant 90 ms.
    CHECK_FALSE(parse_duration("250").has_value());
    CHECK_FALSE(parse_duration("30").has_value());
    CHECK_FALSE(parse_duration("3 sec").has_value());
    CHECK_FALSE(parse_duration("3sec").has_value());
    CHECK_FALSE(parse_duration("5m").has_value());
    CHECK_FALSE(parse_duration("5mins").has_value());
    CHECK_FALSE(parse_duration("5 s").has_value());
    CHECK(parse_duration("0") == std::chrono::milliseconds(0));
    CHECK(parse_duration("0s") == std::chrono::milliseconds(0));
    CHECK(parse_duration("0ms") == std::chrono::milliseconds(0));
}

TEST_CASE("parse_duration tolerates surrounding whitespace and unit case", "[duration]") {
    CHECK(parse_duration(" 5s ") == std::chrono::milliseconds(5000));
    CHECK(parse_duration("5S") == std::chrono::milliseconds(5000));
    CHECK(parse_duration("30MIN") == std::chrono::milliseconds(1'800'000));
}

TEST_CASE("parse_duration rejects negative values, unknown units and junk", "[duration]") {
    CHECK_FALSE(parse_duration("-1s").has_value());
    CHECK_FALSE(parse_duration("-1").has_value());
    CHECK_FALSE(parse_duration("5 parsecs").has_value());
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("   ").has_value());
    CHECK_FALSE(parse_duration("s").has_value());
    CHECK_FALSE(parse_duration("ms").has_value());
    CHECK_FALSE(parse_duration("5x").has_value());
    CHECK_FALSE(parse_duration("1.5s").has_value());
    CHECK_FALSE(parse_duration("5s5").has_value());
    CHECK_FALSE(parse_duration("five seconds").has_value());
}

TEST_CASE("to_pg_setting renders milliseconds, and 0 as 0", "[duration]") {
    CHECK(to_pg_setting(5000ms) == "5000ms");
    CHECK(to_pg_setting(1ms) == "1ms");
    CHECK(to_pg_setting(0ms) == "0");
    CHECK(to_pg_setting(std::chrono::minutes(30)) == "1800000ms");
}

TEST_CASE("parse_duration and to_pg_setting round-trip", "[duration]") {
    for (const char* text : {"500ms", "5s", "30min", "2h", "1d", "0", "7ms"}) {
        INFO(text);
        auto d = parse_duration(text);
        REQUIRE(d.has_value());
        CHECK(parse_duration(to_pg_setting(*d)) == d);
    }
}

TEST_CASE("parse_duration rejects values that overflow milliseconds", "[duration]") {
    // Out of range for long long: from_chars fails.
    CHECK_FALSE(parse_duration("99999999999999999999999ms").has_value());
    // In range as a number, but value * 86'400'000 does not fit in 64 bits.
    // Regression test (fixed): parse_duration multiplies without an overflow check (signed
    // overflow, undefined behaviour); in practice it wraps to a negative or garbage duration
    // instead of std::nullopt. 106751991168 days > INT64_MAX ms.
    auto d = parse_duration("106751991168d");
    CHECK_FALSE(d.has_value());
    if (d) {
        INFO("parsed as " << d->count() << "ms");
        CHECK(d->count() >= 0);
    }
}

TEST_CASE("parse_pg_duration reads a bare number as milliseconds, as PostgreSQL does",
          "[duration]") {
    CHECK(sm::core::parse_pg_duration("250") == std::chrono::milliseconds(250));
    CHECK(sm::core::parse_pg_duration("2s") == std::chrono::milliseconds(2000));
    CHECK_FALSE(sm::core::parse_pg_duration("3 sec").has_value());
}

TEST_CASE("duration_problem names what is missing", "[duration]") {
    CHECK(sm::core::duration_problem("90") ==
          "'90' has no unit (write 90ms, 90s, 90min, 90h or 90d)");
    CHECK(sm::core::duration_problem("3 sec") ==
          "'3 sec' is not a duration (a number and a unit: ms, s, min, h or d, such as 30s)");
}

}  // namespace core_duration_test
