// Unit tests for src/core/conninfo.{hpp,cpp}: display forms never carry a password.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/conninfo.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"

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
    SECTION("flag wins") {
        ::setenv("DATABASE_URL", "postgresql://env@h/d", 1);
        auto t = resolve_target(std::string("postgresql://flag@h/d"),
                                std::string("postgresql://cfg@h/d"));
        CHECK(t.source == TargetSource::flag);
        CHECK(t.conninfo == "postgresql://flag@h/d");
    }
    SECTION("then DATABASE_URL") {
        ::setenv("DATABASE_URL", "postgresql://env@h/d", 1);
        auto t = resolve_target(std::nullopt, std::string("postgresql://cfg@h/d"));
        CHECK(t.source == TargetSource::env_database_url);
        CHECK(t.conninfo == "postgresql://env@h/d");
    }
    SECTION("then the config") {
        auto t = resolve_target(std::string(""), std::string("postgresql://cfg@h/d"));
        CHECK(t.source == TargetSource::config);
        CHECK(t.conninfo == "postgresql://cfg@h/d");
    }
    SECTION("then libpq's defaults") {
        auto t = resolve_target(std::nullopt, std::nullopt);
        CHECK(t.source == TargetSource::libpq_defaults);
        CHECK(t.conninfo.empty());
    }
    SECTION("the chosen target's password is registered") {
        auto t = resolve_target(std::string("postgresql://u:Cx-Flag-Pw-5151@h/d"), std::nullopt);
        CHECK(t.source == TargetSource::flag);
        CHECK(sm::util::redact_text("Cx-Flag-Pw-5151") == "***");
    }
}

TEST_CASE("target_source_name", "[conninfo]") {
    CHECK(std::string(sm::core::target_source_name(TargetSource::flag)) == "--database-url");
    CHECK(std::string(sm::core::target_source_name(TargetSource::env_database_url)) ==
          "DATABASE_URL");
    CHECK(std::string(sm::core::target_source_name(TargetSource::config)) == "config");
    CHECK(std::string(sm::core::target_source_name(TargetSource::libpq_defaults)) ==
          "libpq environment");
}
