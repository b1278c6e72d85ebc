// Unit tests for the [notify] and [backup] sections of safe-migrate.toml, the
// endpoints' event filters, and which URLs the notifier will use.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/config.hpp"
#include "notify/http.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace notify_config_test {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using sm::core::Config;
using sm::core::parse_config;
using sm::core::WebhookConfig;
using sm_test::capture_error;

namespace {

const char* const k_file = "/srv/app/safe-migrate.toml";

Config parse(const std::string& text, const std::optional<std::string>& env = std::nullopt) {
    return parse_config(text, k_file, env);
}

WebhookConfig hook(std::vector<std::string> events) {
    WebhookConfig w;
    w.events = std::move(events);
    return w;
}

}  // namespace

TEST_CASE("notify endpoints are read with their defaults and secrets registered",
          "[notify][config]") {
    ::setenv("SM_TEST_SLACK_URL", "https://hooks.slack.example/services/T0KEN123456", 1);
    // A dummy signing key (base64 of "dummy-test-key"): for tests only.
    ::setenv("SM_TEST_HOOK_SECRET", "whsec_ZHVtbXktdGVzdC1rZXk=", 1);
    Config c = parse(
        "[notify]\ndeadline = \"5s\"\nretries = 2\nspool = \"var/spool.jsonl\"\n"
        "[[notify.webhooks]]\nkind = \"slack\"\nurl = \"${SM_TEST_SLACK_URL}\"\n"
        "[[notify.webhooks]]\nname = \"pipeline\"\nkind = \"generic\"\n"
        "url = \"https://hooks.example/x\"\nsecret = \"${SM_TEST_HOOK_SECRET}\"\n"
        "events = [\"deploy.*\"]\nrequired = true\n");
    REQUIRE(c.notify().webhooks.size() == 2);
    CHECK(c.notify().webhooks[0].name == "slack-1");
    CHECK(c.notify().webhooks[0].kind == sm::core::WebhookKind::slack);
    CHECK(c.notify().webhooks[1].name == "pipeline");
    CHECK(c.notify().webhooks[1].required);
    CHECK(c.notify().deadline == 5s);
    CHECK(c.notify().retries == 2);
    CHECK(c.notify().spool == "/srv/app/var/spool.jsonl");
    // Webhook URLs and secrets are secrets: redacted wherever they would be printed.
    CHECK_THAT(sm::util::redact_text("posting to https://hooks.slack.example/services/T0KEN123456"),
               !Contains("T0KEN123456"));
    CHECK_THAT(sm::util::redact_text("secret whsec_ZHVtbXktdGVzdC1rZXk="), !Contains("ZHVtbXkt"));
    ::unsetenv("SM_TEST_SLACK_URL");
    ::unsetenv("SM_TEST_HOOK_SECRET");
}

TEST_CASE("an environment's notify endpoints replace the top-level ones", "[notify][config]") {
    std::string text =
        "[[notify.webhooks]]\nkind = \"slack\"\nurl = \"https://hooks.example/prod\"\n"
        "[environments.staging]\n"
        "[environments.staging.notify]\n"
        "webhooks = [{ kind = \"generic\", url = \"https://hooks.example/staging\" }]\n"
        "[environments.prod]\nprotected = true\n";
    Config staging = parse(text, "staging");
    REQUIRE(staging.notify().webhooks.size() == 1);
    CHECK(staging.notify().webhooks[0].url == "https://hooks.example/staging");
    Config prod = parse(text, "prod");
    REQUIRE(prod.notify().webhooks.size() == 1);
    CHECK(prod.notify().webhooks[0].url == "https://hooks.example/prod");
}

TEST_CASE("bad notify entries name the file line and key", "[notify][config]") {
    auto e1 = capture_error([] {
        parse("[[notify.webhooks]]\nkind = \"teams\"\nurl = \"https://x.example/\"\n").notify();
    });
    CHECK(e1.code() == sm::ExitCode::invalid_input);
    CHECK_THAT(e1.what(), Contains("safe-migrate.toml:2") && Contains("notify.webhooks.kind"));
    auto e2 = capture_error([] { parse("[[notify.webhooks]]\nkind = \"slack\"\n").notify(); });
    CHECK_THAT(e2.what(), Contains("needs kind and url"));
    auto e3 = capture_error([] {
        parse("[[notify.webhooks]]\nkind = \"slack\"\nurl = \"https://x.example/\"\nurll = 1\n")
            .notify();
    });
    CHECK_THAT(e3.what(), Contains("urll"));
    auto e4 =
        capture_error([] { parse("[notify]\nwebhooks = \"https://x.example/\"\n").notify(); });
    CHECK_THAT(e4.what(), Contains("array of tables"));
}

TEST_CASE("endpoint event filters take exact types and prefix patterns", "[notify][config]") {
    CHECK(hook({}).wants("deploy.started"));
    CHECK(hook({}).wants("backup.failed"));
    CHECK_FALSE(hook({}).wants("migration.applied"));  // opt-in only
    CHECK(hook({"migration.applied"}).wants("migration.applied"));
    CHECK(hook({"deploy.*"}).wants("deploy.failed"));
    CHECK_FALSE(hook({"deploy.*"}).wants("backup.failed"));
    CHECK_FALSE(hook({"deploy.*"}).wants("deployment.x"));
    CHECK(hook({"*"}).wants("migration.applied"));
    CHECK(hook({"backup.failed", "restore.*"}).wants("restore.completed"));
}

TEST_CASE("the notifier uses https and plain http only for loopback", "[notify][config]") {
    using sm::notify::url_problem;
    CHECK(url_problem("https://hooks.slack.com/services/x", false).empty());
    CHECK(url_problem("HTTPS://hooks.slack.com/services/x", false).empty());
    CHECK(url_problem("http://127.0.0.1:8080/hook", false).empty());
    CHECK(url_problem("http://localhost/hook", false).empty());
    CHECK(url_problem("http://[::1]:9000/hook", false).empty());
    CHECK_THAT(url_problem("http://hooks.example.com/hook", false), Contains("allow_http"));
    CHECK(url_problem("http://hooks.example.com/hook", true).empty());
    CHECK_THAT(url_problem("ftp://hooks.example.com/hook", true), Contains("https://"));
}

TEST_CASE("backup settings are read and checked", "[backup][config]") {
    Config c = parse(
        "[backup]\ndir = \"/var/backups/app\"\nformat = \"custom\"\njobs = 4\ncompression = 0\n"
        "lock_wait_timeout = \"5s\"\nkeep_last = 3\nkeep_days = 10\ncount_rows = false\n");
    CHECK(c.backup.dir == "/var/backups/app");
    CHECK(c.backup.format == "custom");
    CHECK(c.backup.jobs == 4);
    CHECK(c.backup.compression == 0);
    CHECK(c.backup.lock_wait_timeout == 5s);
    CHECK(c.backup.keep_last == 3);
    CHECK(c.backup.keep_days == 10);
    CHECK_FALSE(c.backup.count_rows);
    CHECK(parse("").backup.dir == "/srv/app/backups");
    auto e = capture_error([] { parse("[backup]\nformat = \"tar\"\n"); });
    CHECK_THAT(e.what(), Contains("backup.format"));
    auto e2 = capture_error([] { parse("[backup]\ncompression = 12\n"); });
    CHECK_THAT(e2.what(), Contains("backup.compression"));
}

TEST_CASE("backup encryption_key: base64 of 32 bytes, a secret, lazily missing",
          "[backup][config]") {
    // 32 bytes 0x00..0x1f.
    const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    ::setenv("SM_TEST_UNIT_BACKUP_KEY", key.c_str(), 1);
    Config c = parse("[backup]\nencryption_key = \"${SM_TEST_UNIT_BACKUP_KEY}\"\n");
    REQUIRE(c.backup.encryption_key.bytes.size() == 32);
    CHECK(c.backup.encryption_key.bytes[31] == '\x1f');
    CHECK(c.backup.encryption_key.unset.empty());
    CHECK_THAT(sm::util::redact_text("key " + key), !Contains(key));
    CHECK_FALSE(parse("").backup.encryption_key.configured());

    // Malformed: named, never shown.
    const std::string bad = "c2hvcnQta2V5LW5vdC0zMi1ieXRlcw==";
    ::setenv("SM_TEST_UNIT_BACKUP_KEY", bad.c_str(), 1);
    auto e =
        capture_error([] { parse("[backup]\nencryption_key = \"${SM_TEST_UNIT_BACKUP_KEY}\"\n"); });
    CHECK(e.code() == sm::ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("safe-migrate.toml:2: 'backup.encryption_key' must be the "
                                  "base64 of 32 random bytes"));
    CHECK_THAT(std::string(e.what()) + e.hint(), !Contains(bad));
    CHECK_THAT(e.hint(), Contains("openssl rand -base64 32"));
    auto e2 = capture_error([] { parse("[backup]\nencryption_key = \"not base64!\"\n"); });
    CHECK_THAT(e2.what(), !Contains("not base64!"));

    // An unset variable is not an error until a key is needed.
    ::unsetenv("SM_TEST_UNIT_BACKUP_KEY");
    Config u = parse("[backup]\nencryption_key = \"${SM_TEST_UNIT_BACKUP_KEY}\"\n");
    CHECK(u.backup.encryption_key.configured());
    CHECK(u.backup.encryption_key.bytes.empty());
    CHECK_THAT(u.backup.encryption_key.unset,
               Contains("references environment variable SM_TEST_UNIT_BACKUP_KEY, which is not "
                        "set"));
}

}  // namespace notify_config_test
