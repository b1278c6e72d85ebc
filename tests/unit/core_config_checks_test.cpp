// Unit tests for src/core/config_checks.{hpp,cpp}: [[execute.checks]].

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/config.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_config_checks_test {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using sm::ExitCode;

namespace {

sm::core::Config parse_checks(const std::string& text,
                              const std::optional<std::string>& env = std::nullopt) {
    return sm::core::parse_config(text, "/srv/app/safe-migrate.toml", env);
}

sm::Error checks_error(const std::string& text) {
    return sm_test::capture_error([&] { parse_checks(text); });
}

}  // namespace

TEST_CASE("config: [[execute.checks]] are read in order, sql or command", "[config]") {
    auto c = parse_checks(
        "[[execute.checks]]\nname = \"orders\"\nsql = \"SELECT true\"\n"
        "[[execute.checks]]\nname = \"smoke\"\ncommand = [\"./smoke\", \"--quick\"]\n"
        "timeout = \"5s\"\n");
    REQUIRE(c.execute.checks.size() == 2);
    CHECK(c.execute.checks[0].name == "orders");
    CHECK(c.execute.checks[0].sql == "SELECT true");
    CHECK(c.execute.checks[0].command.empty());
    CHECK(c.execute.checks[0].timeout == 60s);
    CHECK(c.execute.checks[1].command == std::vector<std::string>{"./smoke", "--quick"});
    CHECK(c.execute.checks[1].timeout == 5s);
    CHECK(parse_checks("").execute.checks.empty());
}

TEST_CASE("config: an environment's checks replace the top-level ones", "[config]") {
    std::string text =
        "[[execute.checks]]\nname = \"a\"\nsql = \"SELECT true\"\n"
        "[environments.prod]\n[[environments.prod.execute.checks]]\nname = \"b\"\n"
        "sql = \"SELECT 1 = 1\"\n";
    auto prod = parse_checks(text, "prod");
    REQUIRE(prod.execute.checks.size() == 1);
    CHECK(prod.execute.checks[0].name == "b");
    CHECK(parse_checks(text).execute.checks[0].name == "a");
}

TEST_CASE("config: a bad check names the file, line, key and entry", "[config]") {
    const std::string ok = "[[execute.checks]]\nname = \"a\"\nsql = \"SELECT true\"\n";
    auto no_name = checks_error(ok + "[[execute.checks]]\nsql = \"SELECT true\"\n");
    CHECK(no_name.code() == ExitCode::invalid_input);
    CHECK(std::string(no_name.what()) ==
          "/srv/app/safe-migrate.toml:4: 'execute.checks' entry 2 needs a name");
    auto both = checks_error(
        "[[execute.checks]]\nname = \"x\"\nsql = \"SELECT true\"\n"
        "command = [\"true\"]\n");
    CHECK(std::string(both.what()) ==
          "/srv/app/safe-migrate.toml:1: 'execute.checks' entry 1 "
          "(\"x\") needs exactly one of sql and command");
    auto neither = checks_error("[[execute.checks]]\nname = \"x\"\n");
    CHECK_THAT(neither.what(), Contains("needs exactly one of sql and command"));
    auto twice = checks_error(ok + ok);
    CHECK(std::string(twice.what()) ==
          "/srv/app/safe-migrate.toml:4: 'execute.checks' entry 2: the name \"a\" is used twice");
    auto argv = checks_error("[[execute.checks]]\nname = \"x\"\ncommand = \"./smoke --quick\"\n");
    CHECK_THAT(argv.what(), Contains("'execute.checks.command' must be a non-empty array of "
                                     "strings"));
    CHECK_THAT(argv.hint(), Contains("without a shell"));
    auto unknown = checks_error(
        "[[execute.checks]]\nname = \"x\"\nsql = \"SELECT true\"\n"
        "timout = \"5s\"\n");
    CHECK_THAT(unknown.what(), Contains("execute.checks.timout"));
    auto zero = checks_error(
        "[[execute.checks]]\nname = \"x\"\nsql = \"SELECT true\"\n"
        "timeout = \"0\"\n");
    CHECK_THAT(zero.what(), Contains("timeout must be more than 0"));
    auto table = checks_error("[execute]\nchecks = \"SELECT true\"\n");
    CHECK_THAT(table.what(), Contains("must be an array of tables ([[execute.checks]])"));
}

}  // namespace core_config_checks_test
