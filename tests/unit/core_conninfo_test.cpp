// Unit tests for src/core/conninfo.{hpp,cpp}: display forms never carry a password.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/conninfo.hpp"
#include "core/conninfo_check.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_conninfo_test {

using Catch::Matchers::Contains;
using sm::core::redacted_conninfo;
using sm::core::resolve_target;
using sm::core::TargetSource;

TEST_CASE("redacted_conninfo drops the password", "[conninfo]") {
    CHECK(redacted_conninfo("postgresql://app:hunter22@db.example:6432/appdb?sslmode=require") ==
          "postgresql://app@db.example:6432/appdb");
    CHECK(redacted_conninfo("host=db.example port=5433 user=app password=hunter22 dbname=appdb") ==
          "postgresql://app@db.example:5433/appdb");
    CHECK(redacted_conninfo("host=/var/run/postgresql dbname=appdb") ==
          "postgresql://[/var/run/postgresql]/appdb");
    CHECK(redacted_conninfo("hostaddr=10.0.0.5 dbname=x") == "postgresql://10.0.0.5/x");
    CHECK(redacted_conninfo("") == "postgresql:///");
}

TEST_CASE("redacted_conninfo of an unparsable conninfo", "[conninfo]") {
    CHECK(redacted_conninfo("host=db password='unterminated") == "<invalid connection string>");
    CHECK(redacted_conninfo("nonsense_keyword=1") == "<invalid connection string>");
}

TEST_CASE("validate_conninfo", "[conninfo]") {
    CHECK_NOTHROW(sm::core::validate_conninfo("postgresql://app@db/app"));
    CHECK_NOTHROW(sm::core::validate_conninfo(""));
    auto e = sm_test::capture_error(
        [] { sm::core::validate_conninfo("bogus_option=1 password=Cx-Valid-77"); });
    CHECK(e.code() == sm::ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("invalid connection string"));
    CHECK_THAT(e.what(), !Contains("Cx-Valid-77"));
}

TEST_CASE("register_conninfo_secrets registers the password", "[conninfo][redact]") {
    sm::core::register_conninfo_secrets("postgresql://app:Cx-Url-Pw-4242@db/app");
    sm::core::register_conninfo_secrets("host=db password=Cx-Kv-Pw-4343");
    CHECK(sm::util::redact_text("a Cx-Url-Pw-4242 b Cx-Kv-Pw-4343") == "a *** b ***");
}

namespace {
// Saves an environment variable, unsets it, and restores it afterwards.
struct SavedEnv {
    std::string name;
    std::optional<std::string> value;
    explicit SavedEnv(std::string n) : name(std::move(n)) {
        if (const char* v = std::getenv(name.c_str())) {
            value = v;
        }
        ::unsetenv(name.c_str());
    }
    ~SavedEnv() {
        if (value) {
            ::setenv(name.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(name.c_str());
        }
    }
};
}  // namespace

TEST_CASE("resolve_target precedence", "[conninfo]") {
    // resolve_target reads DATABASE_URL and registers PGPASSWORD as a secret;
    // keep the caller's values out of this test (and out of the redactor).
    SavedEnv database_url("DATABASE_URL");
    SavedEnv pgpassword("PGPASSWORD");
    using sm::core::TargetInputs;
    SECTION("flag wins, and names what it overrides") {
        ::setenv("DATABASE_URL", "postgresql://env@h/d", 1);
        auto t = resolve_target(TargetInputs{std::string("postgresql://flag@h/d"),
                                             std::string("postgresql://prod@h:5432/p"), "prod",
                                             std::string("postgresql://flag@h/d")});
        CHECK(t.source == TargetSource::flag);
        CHECK(t.conninfo == "postgresql://flag@h/d");
        REQUIRE(t.overridden.size() == 2);
        CHECK(t.overridden[0] == "[environments.prod] database_url (postgresql://prod@h:5432/p)");
        CHECK(t.overridden[1].rfind("DATABASE_URL (postgresql://env@h:", 0) == 0);
    }
    SECTION("then the environment's database_url; another target elsewhere is refused") {
        ::setenv("DATABASE_URL", "postgresql://u:Cx-Env-Pw-7171@h/test_db", 1);
        TargetInputs in{std::nullopt, std::string("postgresql://u@h/prod"), "production",
                        std::nullopt};
        try {
            resolve_target(in);
            FAIL("no conflict reported");
        } catch (const sm::Error& e) {
            CHECK(e.code() == sm::ExitCode::invalid_input);
            std::string what = e.what();
            CHECK(what.find("[environments.production] database_url names postgresql://u@h:") !=
                  std::string::npos);
            CHECK(what.find("/prod but DATABASE_URL (postgresql://u@h:") != std::string::npos);
            CHECK(what.find("Cx-Env-Pw-7171") == std::string::npos);
        }
        // The same database (a password or an option aside) is no conflict.
        ::setenv("DATABASE_URL", "postgresql://u:pw@h/prod?connect_timeout=3", 1);
        auto t = resolve_target(in);
        CHECK(t.source == TargetSource::environment);
        CHECK(t.conninfo == "postgresql://u@h/prod");
    }
    SECTION("then [database] url, then DATABASE_URL") {
        ::setenv("DATABASE_URL", "postgresql://cfg@h/d", 1);
        auto t = resolve_target(
            TargetInputs{std::nullopt, std::nullopt, "", std::string("postgresql://cfg@h/d")});
        CHECK(t.source == TargetSource::config);
        auto e = resolve_target(TargetInputs{});
        CHECK(e.source == TargetSource::env_database_url);
        CHECK(e.conninfo == "postgresql://cfg@h/d");
    }
    SECTION("then libpq's defaults") {
        auto t = resolve_target(TargetInputs{std::string(""), std::nullopt, "", std::nullopt});
        CHECK(t.source == TargetSource::libpq_defaults);
        CHECK(t.conninfo.empty());
    }
    SECTION("the chosen target's password is registered") {
        auto t = resolve_target(TargetInputs{std::string("postgresql://u:Cx-Flag-Pw-5151@h/d"),
                                             std::nullopt, "", std::nullopt});
        CHECK(t.source == TargetSource::flag);
        CHECK(sm::util::redact_text("Cx-Flag-Pw-5151") == "***");
    }
}

TEST_CASE("a malformed connection string is named by its field, never shown", "[conninfo]") {
    using sm::core::conninfo_problem;
    const std::string pw = "Sekr3t";
    struct Case {
        std::string conninfo;
        std::string problem;
    };
    for (const Case& c : std::vector<Case>{
             {"postgresql://u:Sekr3t%zzPw@h/db", "the password holds an invalid percent-escape"},
             {"postgresql://u:Sekr3t%4@h/db", "the password holds an invalid percent-escape"},
             {"postgresql://u:Sekr3t/Pw@h/db",
              "the database name holds '@': write a '/' in the user name or password as %2F"},
             {"postgresql://u:Sekr3t@Pw@h/db",
              "the host holds '@': write an '@' in the user name or password as %40"},
             {"postgresql://u@h:Sekr3t/db", "the port is not a number from 1 to 65535"},
             {"postgresql://u@h:99999/db", "the port is not a number from 1 to 65535"},
             {"postgresql://u@[::1/db?x=Sekr3t", "an IPv6 host has no closing ']'"},
             {"postgresql://u@h/db?password=Sekr3t%zz",
              "the value of password holds an invalid percent-escape"},
             {"postgresql://u@h/db?password=Sek&r3tX=1",
              "query parameter 2 is not a libpq "
              "connection setting"},
             {"postgresql://u@h/db?Sekr3t", "query parameter 1 has no '='"},
             {"host=h password='Sekr3t", "the quoted value of password has no closing quote"},
             {"host=h password=Sekr3t Pw dbname=x",
              "setting 3, after password, has no '=' (a value that holds spaces needs single "
              "quotes: 'a b')"},
             {"host=h passwrd=Sekr3t", "setting 2 is not a libpq connection setting"},
             {"host=h port=Sekr3t", "the port is not a number from 1 to 65535"},
         }) {
        INFO(c.conninfo);
        auto problem = conninfo_problem(c.conninfo);
        REQUIRE(problem.has_value());
        CHECK(*problem == c.problem);
        CHECK(problem->find(pw) == std::string::npos);
        try {
            sm::core::validate_conninfo(c.conninfo, "DATABASE_URL");
            FAIL("accepted");
        } catch (const sm::Error& e) {
            CHECK(std::string(e.what()) ==
                  "invalid connection string in DATABASE_URL: " + c.problem);
            CHECK(std::string(e.what()).find(pw) == std::string::npos);
            CHECK(e.hint().find(pw) == std::string::npos);
        }
    }
    for (const char* good :
         {"", "postgresql://u:p%40ss@h:5432,h2/db?sslmode=require", "postgres://h/db",
          "host=h port=5432 password='a b\\'c' dbname=x", "postgresql:///db?host=/tmp"}) {
        INFO(good);
        CHECK_FALSE(conninfo_problem(good).has_value());
    }
}

TEST_CASE("target_source_name", "[conninfo]") {
    CHECK(std::string(sm::core::target_source_name(TargetSource::flag)) == "--database-url");
    CHECK(std::string(sm::core::target_source_name(TargetSource::env_database_url)) ==
          "DATABASE_URL");
    CHECK(std::string(sm::core::target_source_name(TargetSource::config)) == "[database] url");
    CHECK(std::string(sm::core::target_source_name(TargetSource::environment)) ==
          "the environment's database_url");
    CHECK(std::string(sm::core::target_source_name(TargetSource::libpq_defaults)) ==
          "libpq environment");
}

}  // namespace core_conninfo_test
