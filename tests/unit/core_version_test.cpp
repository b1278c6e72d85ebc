#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/version.hpp"
#include "core/version_json.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_version_test {

using sm::core::Version;

namespace {

Version v(const char* text) {
    auto parsed = Version::parse(text);
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace

TEST_CASE("versions compare as flyway compares them, part by part numerically", "[version]") {
    CHECK(v("1.2.10") > v("1.2.9"));
    CHECK(v("1.10") > v("1.9"));
    CHECK(v("2") > v("1.999"));
    CHECK(v("1.2") < v("1.2.1"));
    CHECK(v("1.2") == v("1.2.0"));  // trailing zero parts do not count
    CHECK(v("1_2") == v("1.2"));    // '_' separates parts as '.' does
    CHECK(v("01.2") == v("1.2"));
    CHECK(v("20240101090000") > v("9"));
    CHECK(v("99999999999999999999") > v("9223372036854775807"));  // beyond int64 too
    CHECK(Version(10) > Version(9));
    CHECK(Version(10) == v("10"));
}

TEST_CASE("a version's text: integers as numbers, dotted ones as written", "[version]") {
    CHECK(v("007").text() == "7");
    CHECK(v("007").integer() == 7);
    CHECK(v("1_2_10").text() == "1.2.10");
    CHECK(v("1.2.10").integer() == std::nullopt);
    CHECK(v("1.2.10").key_literal() == "{1,2,10}");
    CHECK(v("1.2.0").key_literal() == "{1,2}");
    CHECK(Version(42).key_literal() == "{42}");
    CHECK(v("99999999999999999999").text() == "99999999999999999999");
    CHECK(v("99999999999999999999").integer() == std::nullopt);
}

TEST_CASE("text that is not a version is refused", "[version]") {
    for (const char* bad : {"", "1..2", "1.", ".1", "a", "1.2a", "-1", "1 2"}) {
        INFO(bad);
        CHECK_FALSE(Version::parse(bad));
    }
    try {
        sm::core::version_flag("--to", "x1");
        FAIL("no error");
    } catch (const sm::Error& e) {
        CHECK(e.code() == sm::ExitCode::usage);
        CHECK(std::string(e.what()) ==
              "--to x1: not a version (digits, or digits separated by '.' such as 1.2.10)");
    }
}

TEST_CASE("versions in JSON: integers are numbers, dotted ones strings", "[version]") {
    nlohmann::json j = {{"a", Version(12)}, {"b", v("1.2.10")}};
    CHECK(j.dump() == R"({"a":12,"b":"1.2.10"})");
    CHECK(j["a"].get<Version>() == Version(12));
    CHECK(j["b"].get<Version>() == v("1.2.10"));
    CHECK_THROWS_AS(nlohmann::json(2.5).get<Version>(), sm::Error);
}

}  // namespace core_version_test
