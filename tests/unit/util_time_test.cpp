// Unit tests for src/util/time.{hpp,cpp}.

#include <catch2/catch.hpp>
#include <chrono>

#include "util/time.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_time_test {

using sm::util::format_duration;
using std::chrono::milliseconds;

TEST_CASE("format_duration below an hour", "[time]") {
    CHECK(format_duration(milliseconds(0)) == "0ms");
    CHECK(format_duration(milliseconds(340)) == "340ms");
    CHECK(format_duration(milliseconds(999)) == "999ms");
    CHECK(format_duration(milliseconds(1000)) == "1.0s");
    CHECK(format_duration(milliseconds(12345)) == "12.3s");
    CHECK(format_duration(milliseconds(59940)) == "59.9s");
    CHECK(format_duration(milliseconds(60000)) == "1min");
    CHECK(format_duration(milliseconds(60999)) == "1min");
    CHECK(format_duration(milliseconds(125000)) == "2min 5s");
    CHECK(format_duration(milliseconds(125999)) == "2min 5s");
    CHECK(format_duration(milliseconds(3599999)) == "59min 59s");
}

TEST_CASE("format_duration carries tenths that round to 60.0s into a minute", "[time]") {
    CHECK(format_duration(milliseconds(59960)) == "1min 0s");
    CHECK(format_duration(milliseconds(59999)) == "1min 0s");
}

TEST_CASE("format_duration in hours and minutes from an hour", "[time]") {
    CHECK(format_duration(milliseconds(3600000)) == "1h 0min");
    CHECK(format_duration(milliseconds(3659999)) == "1h 0min");
    CHECK(format_duration(milliseconds(3725000)) == "1h 2min");
    CHECK(format_duration(std::chrono::hours(26) + std::chrono::minutes(59)) == "26h 59min");
}

TEST_CASE("format_duration reads a negative duration as 0ms", "[time]") {
    CHECK(format_duration(milliseconds(-1)) == "0ms");
    CHECK(format_duration(milliseconds(-3725000)) == "0ms");
}

}  // namespace util_time_test
