// Unit tests for src/core/config.{hpp,cpp} (parse_config and expand_env).

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/config.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_config_test {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::core::Config;
using sm::core::expand_env;
using sm::core::parse_config;
using sm_test::capture_error;

namespace {

const std::filesystem::path& config_file() {
    static const std::filesystem::path file = "/srv/app/safe-migrate.toml";
    return file;
}

Config parse(const std::string& text, const std::optional<std::string>& env = std::nullopt) {
    return parse_config(text, config_file(), env);
}

sm::Error parse_error(const std::string& text, std::optional<std::string> env = std::nullopt) {
    return capture_error([&] { parse(text, env); });
}

// Sets an environment variable for the lifetime of the object.
struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("config: empty text gives the defaults", "[config]") {
    Config c = parse("");
    CHECK(c.file == config_file());
    CHECK(c.project_dir == "/srv/app");
    CHECK(c.migrations_dir == "/srv/app/migrations");
    CHECK_FALSE(c.database_url.has_value());
    CHECK(c.application_name == "safe-migrate");
    CHECK(c.execute.lock_timeout == 3000ms);
    CHECK(c.execute.statement_timeout == 30min);
    CHECK(c.execute.lock_retries == 5);
    CHECK(c.execute.retry_base_delay == 500ms);
    CHECK(c.execute.retry_max_delay == 15000ms);
    CHECK(c.execute.lock_wait == 60000ms);
    CHECK_FALSE(c.execute.allow_out_of_order);
    CHECK(c.environments.empty());
    CHECK_FALSE(c.environment.has_value());
    CHECK_FALSE(c.is_protected());
}

TEST_CASE("config: top-level keys and [database]", "[config]") {
    Config c = parse(R"(
migrations_dir = "db/migrations"
[database]
url = "postgresql://app@db.internal:5432/app"
application_name = "deployer"
)");
    CHECK(c.migrations_dir == "/srv/app/db/migrations");
    REQUIRE(c.database_url.has_value());
    CHECK(*c.database_url == "postgresql://app@db.internal:5432/app");
    CHECK(c.application_name == "deployer");

    Config abs = parse("migrations_dir = \"/opt/migrations\"\n");
    CHECK(abs.migrations_dir == "/opt/migrations");
}

TEST_CASE("config: every [execute] key is read", "[config]") {
    Config c = parse(R"(
[execute]
lock_timeout = "5s"
statement_timeout = "2h"
lock_retries = 9
retry_base_delay = "250ms"
retry_max_delay = "1min"
lock_wait = "0"
allow_out_of_order = true
)");
    CHECK(c.execute.lock_timeout == 5s);
    CHECK(c.execute.statement_timeout == 2h);
    CHECK(c.execute.lock_retries == 9);
    CHECK(c.execute.retry_base_delay == 250ms);
    CHECK(c.execute.retry_max_delay == 1min);
    CHECK(c.execute.lock_wait == 0ms);
    CHECK(c.execute.allow_out_of_order);
}

TEST_CASE("config: an unknown key names the file, line and key, with a did-you-mean hint",
          "[config]") {
    auto e = parse_error("# comment\n[execute]\nlock_timout = \"5s\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("/srv/app/safe-migrate.toml:3"));
    CHECK_THAT(e.what(), Contains("unknown key"));
    CHECK_THAT(e.what(), Contains("execute.lock_timout"));
    CHECK_THAT(e.hint(), Contains("Did you mean"));
    CHECK_THAT(e.hint(), Contains("execute.lock_timeout"));
}

TEST_CASE("config: an unknown key far from any known one has no suggestion", "[config]") {
    auto e = parse_error("colour_scheme = \"dark\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:1"));
    CHECK_THAT(e.what(), Contains("colour_scheme"));
    CHECK(e.hint().empty());
}

TEST_CASE("config: unknown keys in [database] and environments are errors too", "[config]") {
    auto db = parse_error("[database]\nurll = \"x\"\n");
    CHECK_THAT(db.what(), Contains(":2"));
    CHECK_THAT(db.what(), Contains("database.urll"));
    CHECK_THAT(db.hint(), Contains("database.url"));

    auto env = parse_error("[environments.production]\nprotect = true\n");
    CHECK_THAT(env.what(), Contains(":2"));
    CHECK_THAT(env.what(), Contains("environments.production.protect"));
    CHECK_THAT(env.hint(), Contains("environments.production.protected"));
}

TEST_CASE("config: wrong types are errors naming the key", "[config]") {
    SECTION("lock_retries as a string") {
        auto e = parse_error("[execute]\nlock_retries = \"3\"\n");
        CHECK(e.code() == ExitCode::invalid_input);
        CHECK_THAT(e.what(), Contains("safe-migrate.toml:2"));
        CHECK_THAT(e.what(), Contains("execute.lock_retries"));
        CHECK_THAT(e.what(), Contains("integer"));
    }
    SECTION("lock_retries as a float") {
        auto e = parse_error("[execute]\nlock_retries = 3.0\n");
        CHECK_THAT(e.what(), Contains("execute.lock_retries"));
    }
    SECTION("protected as a string") {
        auto e = parse_error("[environments.production]\nprotected = \"yes\"\n");
        CHECK(e.code() == ExitCode::invalid_input);
        CHECK_THAT(e.what(), Contains("safe-migrate.toml:2"));
        CHECK_THAT(e.what(), Contains("environments.production.protected"));
        CHECK_THAT(e.what(), Contains("true or false"));
    }
    SECTION("allow_out_of_order as an integer") {
        auto e = parse_error("[execute]\nallow_out_of_order = 1\n");
        CHECK_THAT(e.what(), Contains("execute.allow_out_of_order"));
    }
    SECTION("a duration as a bare integer") {
        auto e = parse_error("[execute]\nlock_timeout = 5000\n");
        CHECK_THAT(e.what(), Contains("execute.lock_timeout"));
        CHECK_THAT(e.what(), Contains("string"));
    }
    SECTION("url as an integer") {
        auto e = parse_error("[database]\nurl = 5\n");
        CHECK_THAT(e.what(), Contains("database.url"));
    }
    SECTION("execute as a value instead of a table") {
        auto e = parse_error("execute = 5\n");
        CHECK_THAT(e.what(), Contains("'execute'"));
        CHECK_THAT(e.what(), Contains("table"));
    }
}

TEST_CASE("config: lock_retries out of range", "[config]") {
    auto neg = parse_error("[execute]\nlock_retries = -1\n");
    CHECK_THAT(neg.what(), Contains("execute.lock_retries"));
    CHECK_THAT(neg.what(), Contains("between 0 and 100"));
    auto big = parse_error("[execute]\nlock_retries = 101\n");
    CHECK_THAT(big.what(), Contains("between 0 and 100"));
    CHECK(parse("[execute]\nlock_retries = 100\n").execute.lock_retries == 100);
    CHECK(parse("[execute]\nlock_retries = 0\n").execute.lock_retries == 0);
}

TEST_CASE("config: a bad duration is an error naming the key and the value", "[config]") {
    auto e = parse_error("[execute]\n\nstatement_timeout = \"5 parsecs\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:3"));
    CHECK_THAT(e.what(), Contains("execute.statement_timeout"));
    CHECK_THAT(e.what(), Contains("5 parsecs"));
    CHECK_FALSE(e.hint().empty());

    auto neg = parse_error("[execute]\nlock_timeout = \"-1s\"\n");
    CHECK_THAT(neg.what(), Contains("execute.lock_timeout"));
}

TEST_CASE("config: ${VAR} references are expanded", "[config]") {
    ScopedEnv host("SM_UT_CFG_HOST", "db.example.net");
    ScopedEnv dur("SM_UT_CFG_TIMEOUT", "7s");
    Config c = parse(R"(
[database]
url = "postgresql://app@${SM_UT_CFG_HOST}/app"
[execute]
lock_timeout = "${SM_UT_CFG_TIMEOUT}"
)");
    REQUIRE(c.database_url.has_value());
    CHECK(*c.database_url == "postgresql://app@db.example.net/app");
    CHECK(c.execute.lock_timeout == 7s);
}

TEST_CASE("config: $$ is a literal dollar sign", "[config]") {
    Config c = parse("[database]\napplication_name = \"cost$$5 and $${HOME}\"\n");
    // "$$" -> "$", and "$${X}" is the literal text "${X}", not a reference.
    CHECK(c.application_name == "cost$5 and ${HOME}");
}

TEST_CASE("expand_env", "[config]") {
    ScopedEnv a("SM_UT_EXP_A", "alpha");
    ScopedEnv b("SM_UT_EXP_B", "");
    CHECK(expand_env("plain text", "where") == "plain text");
    CHECK(expand_env("${SM_UT_EXP_A}", "where") == "alpha");
    CHECK(expand_env("x-${SM_UT_EXP_A}-${SM_UT_EXP_A}-y", "where") == "x-alpha-alpha-y");
    CHECK(expand_env("[${SM_UT_EXP_B}]", "where") == "[]");  // set but empty is fine
    CHECK(expand_env("$$", "where") == "$");
    CHECK(expand_env("$$$$", "where") == "$$");
    CHECK(expand_env("$${SM_UT_EXP_A}", "where") == "${SM_UT_EXP_A}");
    CHECK(expand_env("5$", "where") == "5$");
    CHECK(expand_env("$x", "where") == "$x");

    auto unset = capture_error(
        [] { expand_env("${SM_UT_EXP_DEFINITELY_UNSET}", "f.toml:4: 'database.url'"); });
    CHECK(unset.code() == ExitCode::invalid_input);
    CHECK_THAT(unset.what(), Contains("SM_UT_EXP_DEFINITELY_UNSET"));
    CHECK_THAT(unset.what(), Contains("f.toml:4: 'database.url'"));

    auto unterminated = capture_error([] { expand_env("${SM_UT_EXP_A", "w"); });
    CHECK(unterminated.code() == ExitCode::invalid_input);
    CHECK_THAT(unterminated.what(), Contains("unterminated"));
}

TEST_CASE("config: an unset variable is an error naming it and the key", "[config]") {
    ::unsetenv("SM_UT_CFG_UNSET_VAR");
    auto e = parse_error("[database]\nurl = \"postgresql://u:${SM_UT_CFG_UNSET_VAR}@h/db\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("SM_UT_CFG_UNSET_VAR"));
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2"));
    CHECK_THAT(e.what(), Contains("database.url"));
}

TEST_CASE("config: a protected environment selected with --env", "[config]") {
    const std::string text = R"(
[environments.production]
protected = true
[environments.staging]
)";
    Config prod = parse(text, "production");
    CHECK(prod.environment == std::optional<std::string>("production"));
    CHECK(prod.is_protected());
    REQUIRE(prod.environments.count("production") == 1);
    CHECK(prod.environments.at("production").is_protected);
    CHECK(prod.environments.at("production").name == "production");

    Config staging = parse(text, "staging");
    CHECK_FALSE(staging.is_protected());

    Config none = parse(text);
    CHECK_FALSE(none.is_protected());
    CHECK(none.environments.size() == 2);
}

TEST_CASE("config: environment overrides of [execute] and the database url", "[config]") {
    const std::string text = R"(
[database]
url = "postgresql://app@base/app"
[execute]
lock_timeout = "2s"
lock_retries = 3
[environments.staging]
database_url = "postgresql://app@staging/app"
[environments.staging.execute]
lock_timeout = "10s"
allow_out_of_order = true
[environments.production]
)";
    Config staging = parse(text, "staging");
    CHECK(staging.execute.lock_timeout == 10s);
    CHECK(staging.execute.allow_out_of_order);
    CHECK(staging.execute.lock_retries == 3);           // not overridden: from [execute]
    CHECK(staging.execute.statement_timeout == 30min);  // default
    CHECK(staging.environment_database_url() ==
          std::optional<std::string>("postgresql://app@staging/app"));

    Config prod = parse(text, "production");
    CHECK(prod.execute.lock_timeout == 2s);
    CHECK_FALSE(prod.execute.allow_out_of_order);
    CHECK(prod.database_url == std::optional<std::string>("postgresql://app@base/app"));

    Config none = parse(text);
    CHECK(none.execute.lock_timeout == 2s);
}

TEST_CASE("config: environment overrides are validated even when no environment is selected",
          "[config]") {
    auto e = parse_error("[environments.staging.execute]\nlock_timout = \"1s\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2"));
    CHECK_THAT(e.what(), Contains("environments.staging.execute.lock_timout"));
    CHECK_THAT(e.hint(), Contains("environments.staging.execute.lock_timeout"));
}

TEST_CASE(
    "config: an unknown key in another environment's overrides is an error whatever --env says",
    "[config]") {
    const std::string text = R"(
[environments.production]
protected = true
[environments.staging.execute]
lock_timout = "1s"
)";
    // Without --env the typo is reported (see the test above)...
    CHECK_THROWS_AS(parse(text), sm::Error);
    // Regression test (fixed): ...but with --env production, [environments.staging.execute] is
    // never read, so the unknown key 'lock_timout' is silently accepted. config.hpp promises "Every
    // key is known: an unknown key ... is an error"; the same file should not be valid or invalid
    // depending on which environment is selected.
    CHECK_THROWS_AS(parse(text, "production"), sm::Error);
}

TEST_CASE("config: only the selected environment's database_url variables must be set",
          "[config]") {
    ::unsetenv("SM_UT_CFG_PROD_PW");
    const std::string text = R"(
[environments.production]
database_url = "postgresql://app:${SM_UT_CFG_PROD_PW}@prod/app"
[environments.dev]
database_url = "postgresql://app@localhost/app"
)";
    Config dev = parse(text, "dev");
    CHECK(dev.environment_database_url() ==
          std::optional<std::string>("postgresql://app@localhost/app"));
    auto e = parse_error(text, "production");
    CHECK_THAT(e.what(), Contains("SM_UT_CFG_PROD_PW"));
}

TEST_CASE("config: selecting an undeclared environment lists the declared ones", "[config]") {
    auto e = parse_error("[environments.production]\n[environments.staging]\n", "prod");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml"));
    CHECK_THAT(e.what(), Contains("'prod'"));
    const std::string all = std::string(e.what()) + "\n" + e.hint();
    CHECK_THAT(all, Contains("production"));
    CHECK_THAT(all, Contains("staging"));

    auto none = parse_error("", "prod");
    CHECK_THAT(none.what(), Contains("'prod'"));
    CHECK_THAT(none.hint(), Contains("[environments.prod]"));
}

TEST_CASE("config: a password in the database url is registered as a secret", "[config][redact]") {
    Config c = parse("[database]\nurl = \"postgresql://app:Cfg-Url-Pw-7731@db.example/app\"\n");
    REQUIRE(c.database_url.has_value());
    const std::string redacted = sm::util::redact_text("connecting with Cfg-Url-Pw-7731 now");
    CHECK(redacted == "connecting with *** now");

    // Key/value form, and a password that came from the environment.
    ScopedEnv pw("SM_UT_CFG_DB_PW", "Env-Kv-Pw-4419");
    parse("[database]\nurl = \"host=db user=app password=${SM_UT_CFG_DB_PW} dbname=app\"\n");
    CHECK(sm::util::redact_text("pw Env-Kv-Pw-4419.") == "pw ***.");

    // An environment's database_url, when that environment is selected.
    parse("[environments.prod]\ndatabase_url = \"postgresql://app:Env-Url-Pw-5120@prod/app\"\n",
          "prod");
    CHECK(sm::util::redact_text("Env-Url-Pw-5120") == "***");
}

TEST_CASE("config: secrets inside expanded ${VARS} are registered, ordinary values are not",
          "[config][redact]") {
    // redact.hpp: passwords in connection strings are secrets wherever they come
    // from; ordinary values are not registered even when they come from ${VARS}.
    ScopedEnv url("SM_UT_CFG_DB_URL", "postgresql://app:expanded-pw-90210@db.internal/shop");
    ScopedEnv name("SM_UT_CFG_EXPANDED", "expanded-value-90210");
    Config c = parse(
        "[database]\nurl = \"${SM_UT_CFG_DB_URL}\"\napplication_name = "
        "\"${SM_UT_CFG_EXPANDED}\"\n");
    CHECK(c.application_name == "expanded-value-90210");
    CHECK(sm::util::redact_text("pw expanded-pw-90210") == "pw ***");
    CHECK(sm::util::redact_text("value expanded-value-90210") == "value expanded-value-90210");
}

TEST_CASE("config: a TOML syntax error names file:line", "[config]") {
    auto e = parse_error("[execute]\nlock_timeout = \"5s\"\nlock_retries = = 3\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("/srv/app/safe-migrate.toml:3"));

    auto unclosed = parse_error("[execute\n");
    CHECK_THAT(unclosed.what(), Contains("safe-migrate.toml:1"));
}

TEST_CASE("load_config reads an explicit file", "[config]") {
    const std::filesystem::path file =
        std::filesystem::path(SM_FIXTURES) / "unit/project/safe-migrate.toml";
    Config c = sm::core::load_config(file, std::nullopt);
    CHECK(c.file == std::optional<std::filesystem::path>(file));
    CHECK(c.migrations_dir == std::filesystem::path(SM_FIXTURES) / "unit/project/migrations");
    CHECK(c.database_url == std::optional<std::string>("postgresql://app@localhost:5432/app"));
    CHECK(c.application_name == "fixture-runner");
    CHECK(c.execute.lock_timeout == 4s);
    CHECK(c.execute.statement_timeout == 10min);
    CHECK(c.execute.lock_retries == 2);
    CHECK(c.environments.size() == 2);
    CHECK_FALSE(c.is_protected());

    Config prod = sm::core::load_config(file, std::string("production"));
    CHECK(prod.is_protected());
    CHECK(prod.execute.lock_timeout == 1s);
    CHECK(prod.execute.statement_timeout == 10min);
}

TEST_CASE("load_config: an explicit file that does not exist is an error", "[config]") {
    sm_test::TempTree t("sm-unit-cfg");
    auto e = capture_error([&] { sm::core::load_config(t.path() / "missing.toml", std::nullopt); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("missing.toml"));
    CHECK_THAT(e.what(), Contains("does not exist"));
}

TEST_CASE("load_config: errors name the file that was read", "[config]") {
    sm_test::TempTree t("sm-unit-cfg");
    auto file = t.write("safe-migrate.toml", "[execute]\n\n\nlock_retries = \"3\"\n");
    auto e = capture_error([&] { sm::core::load_config(file, std::nullopt); });
    CHECK_THAT(e.what(), Contains(file.string() + ":4"));
    CHECK_THAT(e.what(), Contains("execute.lock_retries"));
}

TEST_CASE("config: the run's safety keys in [execute]", "[config]") {
    Config d = parse("");
    CHECK(d.execute.on_failure == sm::core::FailurePolicy::rollback);
    CHECK(d.execute.blocker_age == 1s);
    CHECK(d.execute.wait_for_blockers == 30s);
    CHECK_FALSE(d.execute.terminate_blockers);
    CHECK_FALSE(d.execute.max_replica_lag);
    CHECK_FALSE(d.execute.max_duration);
    CHECK(d.execute.restore_fallback);
    CHECK_FALSE(d.execute.restore_terminates_sessions);

    Config c = parse(R"(
[execute]
on_failure = "stop"
blocker_age = "250ms"
wait_for_blockers = "2min"
terminate_blockers = true
max_replica_lag = "10s"
max_duration = "1h"
restore_fallback = false
restore_terminates_sessions = true
)");
    CHECK(c.execute.on_failure == sm::core::FailurePolicy::stop);
    CHECK(c.execute.blocker_age == 250ms);
    CHECK(c.execute.wait_for_blockers == 2min);
    CHECK(c.execute.terminate_blockers);
    CHECK(c.execute.max_replica_lag == 10s);
    CHECK(c.execute.max_duration == 1h);
    CHECK_FALSE(c.execute.restore_fallback);
    CHECK(c.execute.restore_terminates_sessions);

    sm::Error e = parse_error("[execute]\non_failure = \"undo\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2") && Contains("on_failure") &&
                             Contains("\"rollback\", \"restore\" or \"stop\""));
}

TEST_CASE("config: [execute] out_of_order", "[config]") {
    CHECK_FALSE(parse("").execute.out_of_order_by_dependency);
    Config by = parse("[execute]\nout_of_order = \"by-dependency\"\n");
    CHECK(by.execute.out_of_order_by_dependency);
    CHECK_FALSE(by.execute.allow_out_of_order);
    CHECK(parse("[execute]\nout_of_order = \"allow\"\n").execute.allow_out_of_order);
    sm::Error e = parse_error("[execute]\nout_of_order = \"sometimes\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2") && Contains("out_of_order") &&
                             Contains("\"refuse\", \"allow\" or \"by-dependency\""));
}

TEST_CASE("config: [restore] session_wait and [backup] keep_pre_restore", "[config]") {
    Config d = parse("");
    CHECK(d.restore.session_wait == 30s);
    CHECK_FALSE(d.backup.keep_pre_restore);

    Config c = parse("[backup]\nkeep_pre_restore = \"7d\"\n[restore]\nsession_wait = \"2s\"\n");
    CHECK(c.restore.session_wait == 2s);
    CHECK(c.backup.keep_pre_restore == std::chrono::hours(24 * 7));

    sm::Error e = parse_error("[restore]\nsession_wiat = \"2s\"\n");
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2") && Contains("session_wiat"));
}

TEST_CASE("config: [backup] storage = \"s3\" and its keys", "[config]") {
    Config d = parse("");
    CHECK(d.backup.storage == "local");
    ScopedEnv secret("SM_TEST_S3_SECRET", "s3cr3t-value");
    Config c = parse(
        "[backup]\nstorage = \"s3\"\nendpoint = \"https://s3.example.com\"\nbucket = \"b\"\n"
        "prefix = \"/team/app/\"\nregion = \"eu-west-1\"\naddressing = \"virtual\"\n"
        "secret_access_key = \"${SM_TEST_S3_SECRET}\"\ncache_dir = \"cache\"\n");
    CHECK(c.backup.storage == "s3");
    CHECK(c.backup.s3.prefix == "team/app");
    CHECK(c.backup.s3.region == "eu-west-1");
    CHECK(c.backup.s3.virtual_host);
    CHECK(c.backup.s3.secret_access_key == "s3cr3t-value");
    CHECK(sm::util::redact_text("x s3cr3t-value y").find("s3cr3t-value") == std::string::npos);
    CHECK(c.backup.cache_dir == c.project_dir / "cache");
    CHECK(parse("[backup]\nstorage = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\nbucket = "
                "\"b\"\n")
              .backup.s3.endpoint == "http://127.0.0.1:9000");

    CHECK_THAT(parse_error("[backup]\nstorage = \"s3\"\nbucket = \"b\"\n").what(),
               Contains("[backup] endpoint is required with storage = \"s3\""));
    CHECK_THAT(parse_error("[backup]\nstorage = \"s3\"\nendpoint = \"http://10.0.0.5\"\n"
                           "bucket = \"b\"\n")
                   .what(),
               Contains("safe-migrate.toml: [backup] endpoint uses plain http:// to 10.0.0.5"));
    CHECK_THAT(parse_error("[backup]\naddressing = \"dns\"\n").what(),
               Contains("addressing") && Contains("\"path\" or \"virtual\""));
}

}  // namespace core_config_test
