// Unit tests for src/core/backoff.{hpp,cpp}.

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "core/backoff.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_backoff_test {

using namespace std::chrono_literals;
using sm::core::Backoff;

TEST_CASE("backoff: the ceiling doubles from base and caps at max", "[backoff]") {
    Backoff b(500ms, 15000ms, 1);
    CHECK(b.ceiling(0) == 500ms);
    CHECK(b.ceiling(1) == 1000ms);
    CHECK(b.ceiling(2) == 2000ms);
    CHECK(b.ceiling(3) == 4000ms);
    CHECK(b.ceiling(4) == 8000ms);
    CHECK(b.ceiling(5) == 15000ms);  // 16000 capped
    CHECK(b.ceiling(6) == 15000ms);
    CHECK(b.ceiling(100) == 15000ms);
    CHECK(b.ceiling(1'000'000) == 15000ms);  // no overflow for huge attempt numbers
}

TEST_CASE("backoff: the ceiling never exceeds max even when base does", "[backoff]") {
    Backoff b(20s, 5s, 1);
    CHECK(b.ceiling(0) == 5s);
    CHECK(b.ceiling(3) == 5s);
}

TEST_CASE("backoff: delays are within [0, ceiling] and vary", "[backoff]") {
    Backoff b(100ms, 1000ms, 12345);
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::set<long long> seen;
        const auto ceiling = b.ceiling(attempt);
        for (int i = 0; i < 500; ++i) {
            auto d = b.delay(attempt);
            REQUIRE(d >= 0ms);
            REQUIRE(d <= ceiling);
            seen.insert(d.count());
        }
        INFO("attempt " << attempt << " ceiling " << ceiling.count());
        CHECK(seen.size() > 10);  // full jitter: not all equal
    }
}

TEST_CASE("backoff: the same seed gives the same delays", "[backoff]") {
    Backoff a(100ms, 10s, 42);
    Backoff b(100ms, 10s, 42);
    for (int i = 0; i < 20; ++i) {
        CHECK(a.delay(i % 7) == b.delay(i % 7));
    }
}

TEST_CASE("backoff: a zero base gives zero delays", "[backoff]") {
    Backoff b(0ms, 10s, 7);
    CHECK(b.ceiling(5) == 0ms);
    CHECK(b.delay(5) == 0ms);
}

}  // namespace core_backoff_test
