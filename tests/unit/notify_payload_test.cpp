// Unit tests for src/notify/payload.{hpp,cpp}: the generic envelope, its
// Standard Webhooks signature, the Slack message and the summary line.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "notify/event.hpp"
#include "notify/payload.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace notify_payload_test {

using nlohmann::json;
using sm::notify::Event;
using sm::notify::EventBackup;
using sm::notify::EventError;

namespace {

Event deploy_succeeded() {
    Event e;
    e.id = "evt_0123456789abcdef";
    e.type = "deploy.succeeded";
    e.timestamp = "2026-11-21T23:15:00.123Z";
    e.environment = "production";
    e.target.host = "db1";
    e.target.database = "app";
    e.target.server_version = 160004;
    e.version_from = 3;
    e.version_to = 5;
    e.migrations = {"20261121_add_orders", "20261122_index_orders"};
    e.status = "succeeded";
    e.started_at = "2026-11-21T23:14:47.823Z";
    e.duration_ms = 12300;
    e.run_id = "run_42";
    e.actor = "ci@runner-7";
    e.tool_version = "0.4.0";
    e.link = "https://ci.example.com/runs/42";
    return e;
}

Event with_status(const std::string& type, const std::string& status) {
    Event e = deploy_succeeded();
    e.type = type;
    e.status = status;
    return e;
}

json slack(const Event& e) {
    return json::parse(sm::notify::slack_body(e));
}

const json& blocks_of(const json& s) {
    return s.at("attachments").at(0).at("blocks");
}

std::string header_text(const json& s) {
    return blocks_of(s).at(0).at("text").at("text");
}

// All section field texts joined, for searching.
std::string fields_text(const json& s) {
    std::string out;
    for (const auto& f : blocks_of(s).at(1).at("fields")) {
        out += f.at("text").get<std::string>() + "\n";
    }
    return out;
}

// A known answer computed independently, with a dummy key (base64 of "dummy-test-key"):
// printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//   openssl dgst -sha256 -hmac dummy-test-key -binary | base64
struct SignatureVector {
    std::string secret, id, timestamp, body, signature;
};
const SignatureVector& sw() {
    static const SignatureVector v{"whsec_ZHVtbXktdGVzdC1rZXk=", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                   "1614265330", R"({"test": 2432232314})",
                                   "v1,wqkCKrqYh0zKUvVASix8wfLER5K91jmv9j2RiQkqI7M="};
    return v;
}

}  // namespace

TEST_CASE("is_event_type accepts exactly the listed types", "[notify][payload]") {
    for (const char* type : sm::notify::k_event_types) {
        CHECK(sm::notify::is_event_type(type));
    }
    CHECK(sm::notify::is_event_type("deploy.succeeded"));
    CHECK(sm::notify::is_event_type("notify.test"));
    CHECK_FALSE(sm::notify::is_event_type(""));
    CHECK_FALSE(sm::notify::is_event_type("deploy"));
    CHECK_FALSE(sm::notify::is_event_type("Deploy.Succeeded"));
    CHECK_FALSE(sm::notify::is_event_type("deploy.succeeded "));
    CHECK_FALSE(sm::notify::is_event_type("deploy.*"));
}

TEST_CASE("generic_body is the compact envelope with every data field", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.backup = EventBackup{"bk_20261121T231447Z", 123456, true};
    std::string text = sm::notify::generic_body(e);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find(": ") == std::string::npos);  // compact
    CHECK(text.rfind(R"({"id":"evt_0123456789abcdef","type":"deploy.succeeded",)", 0) == 0);

    json j = json::parse(text);
    REQUIRE(j.size() == 4);
    CHECK(j.at("id") == e.id);
    CHECK(j.at("type") == "deploy.succeeded");
    CHECK(j.at("timestamp") == "2026-11-21T23:15:00.123Z");
    const json& d = j.at("data");
    CHECK(d.size() == 20);
    CHECK(d.at("environment") == "production");
    CHECK(d.at("target").at("host") == "db1");
    CHECK(d.at("target").at("database") == "app");
    CHECK(d.at("target").at("server_version") == 160004);
    CHECK(d.at("version_from") == 3);
    CHECK(d.at("version_to") == 5);
    CHECK(d.at("migrations") == json::array({"20261121_add_orders", "20261122_index_orders"}));
    CHECK(d.at("status") == "succeeded");
    CHECK(d.at("started_at") == "2026-11-21T23:14:47.823Z");
    CHECK(d.at("duration_ms") == 12300);
    CHECK(d.at("backup").at("id") == "bk_20261121T231447Z");
    CHECK(d.at("backup").at("bytes") == 123456);
    CHECK(d.at("backup").at("verified") == true);
    CHECK(d.at("error").is_null());
    CHECK(d.at("run_id") == "run_42");
    CHECK(d.at("actor") == "ci@runner-7");
    CHECK(d.at("tool_version") == "0.4.0");
    CHECK(d.at("link") == "https://ci.example.com/runs/42");
}

TEST_CASE("generic_body writes null for absent values", "[notify][payload]") {
    Event e;
    e.id = "evt_1";
    e.type = "deploy.started";
    e.timestamp = "2026-11-21T23:15:00.000Z";
    e.status = "started";
    json j = json::parse(sm::notify::generic_body(e));
    const json& d = j.at("data");
    CHECK(d.at("environment").is_null());
    CHECK(d.at("target").at("host").is_null());
    CHECK(d.at("target").at("database").is_null());
    CHECK(d.at("target").at("server_version").is_null());
    CHECK(d.at("version_from").is_null());
    CHECK(d.at("version_to").is_null());
    CHECK(d.at("migrations") == json::array());
    CHECK(d.at("backup").is_null());
    CHECK(d.at("error").is_null());
    CHECK(d.at("policy_override").is_null());
    CHECK(d.at("link").is_null());
    CHECK(d.at("run_id").is_null());
    CHECK(d.at("duration_ms") == 0);
}

TEST_CASE("generic_body carries the error and keeps the event id on every call",
          "[notify][payload]") {
    Event e = with_status("deploy.failed", "failed");
    e.error = EventError{"failure", "migration 20261122_index_orders failed: 42P07"};
    std::string first = sm::notify::generic_body(e);
    CHECK(first == sm::notify::generic_body(e));  // a retry sends the same bytes
    json j = json::parse(first);
    CHECK(j.at("id") == "evt_0123456789abcdef");
    CHECK(j.at("data").at("error").at("code") == "failure");
    CHECK(j.at("data").at("error").at("message") ==
          "migration 20261122_index_orders failed: 42P07");
}

TEST_CASE("generic_body survives invalid UTF-8 in a value", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.target.database = std::string("bad\xFFname");
    json j;
    REQUIRE_NOTHROW(j = json::parse(sm::notify::generic_body(e)));
    CHECK(j.at("data").at("target").at("database").get<std::string>().rfind("bad", 0) == 0);
}

TEST_CASE("sign matches the Standard Webhooks reference vector", "[notify][payload]") {
    CHECK(sm::notify::sign(sw().secret, sw().id, sw().timestamp, sw().body) == sw().signature);
    CHECK(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body,
                                       sw().signature));
}

TEST_CASE("verify_signature rejects another secret or changed content", "[notify][payload]") {
    CHECK_FALSE(sm::notify::verify_signature("another-dummy-test-key", sw().id, sw().timestamp,
                                             sw().body, sw().signature));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp,
                                             R"({"test": 2432232315})", sw().signature));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, "1614265331", sw().body,
                                             sw().signature));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, "msg_other", sw().timestamp, sw().body,
                                             sw().signature));
    // Truncated, empty, unversioned, or a different version prefix.
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body,
                                             sw().signature.substr(0, 20)));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body, ""));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body,
                                             sw().signature.substr(3)));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body,
                                             "v2," + sw().signature.substr(3)));
}

TEST_CASE("verify_signature accepts a space-separated list of signatures", "[notify][payload]") {
    std::string list = "v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsISE= " + sw().signature;
    CHECK(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body, list));
    std::string reversed = sw().signature + " v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsISE=";
    CHECK(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body, reversed));
    CHECK_FALSE(sm::notify::verify_signature(sw().secret, sw().id, sw().timestamp, sw().body,
                                             "v1,AAAA v1,BBBB"));
}

TEST_CASE("sign decodes whsec_ secrets and uses other secrets as raw bytes", "[notify][payload]") {
    // "c2VjcmV0" is base64 of "secret": the whsec_ form and the raw form sign alike.
    std::string from_whsec = sm::notify::sign("whsec_c2VjcmV0", "msg_1", "1700000000", "{}");
    std::string from_raw = sm::notify::sign("secret", "msg_1", "1700000000", "{}");
    CHECK(from_whsec == from_raw);
    // Without the prefix the text itself is the key, so it differs.
    CHECK(sm::notify::sign("c2VjcmV0", "msg_1", "1700000000", "{}") != from_raw);
    // The reference secret used raw is a different key from its decoded bytes.
    CHECK(sm::notify::sign(sw().secret.substr(6), sw().id, sw().timestamp, sw().body) !=
          sw().signature);

    // Shape: "v1," + base64 of 32 bytes (44 characters with one '=').
    REQUIRE(from_raw.size() == 3 + 44);
    CHECK(from_raw.rfind("v1,", 0) == 0);
    CHECK(from_raw.back() == '=');
    CHECK(sm::notify::verify_signature("secret", "msg_1", "1700000000", "{}", from_whsec));
    CHECK(sm::notify::verify_signature("whsec_c2VjcmV0", "msg_1", "1700000000", "{}", from_raw));
}

TEST_CASE("sign refuses an empty secret or a whsec_ secret that is not base64",
          "[notify][payload]") {
    CHECK_THROWS_AS(sm::notify::sign("", "msg_1", "1", "{}"), sm::Error);
    CHECK_THROWS_AS(sm::notify::sign("whsec_", "msg_1", "1", "{}"), sm::Error);
    CHECK_THROWS_AS(sm::notify::sign("whsec_not*base64!", "msg_1", "1", "{}"), sm::Error);
    CHECK_FALSE(sm::notify::verify_signature("whsec_not*base64!", "msg_1", "1", "{}", "v1,AAAA"));
}

TEST_CASE("slack_body has header then section then context in one coloured attachment",
          "[notify][payload]") {
    json s = slack(deploy_succeeded());
    REQUIRE(s.at("attachments").size() == 1);
    const json& a = s.at("attachments").at(0);
    CHECK(a.at("color") == "#2eb67d");
    const json& blocks = a.at("blocks");
    REQUIRE(blocks.size() == 3);
    CHECK(blocks.at(0).at("type") == "header");
    CHECK(blocks.at(0).at("text").at("type") == "plain_text");
    CHECK(blocks.at(1).at("type") == "section");
    CHECK(blocks.at(2).at("type") == "context");

    CHECK(header_text(s) == ":white_check_mark: deploy succeeded (production)");

    const json& fields = blocks.at(1).at("fields");
    REQUIRE(fields.size() >= 1);
    CHECK(fields.size() <= 10);
    for (const auto& f : fields) {
        CHECK(f.at("type") == "mrkdwn");
        CHECK(f.at("text").get<std::string>().size() <= 2000);
    }
    CHECK(fields.at(0).at("text") == "*Database*\napp on db1");
    std::string all = fields_text(s);
    CHECK(all.find("*Version*\n3 \xE2\x86\x92 5") != std::string::npos);
    CHECK(all.find("*Duration*\n12.3s") != std::string::npos);
    CHECK(all.find("*Migrations*\n2\n20261121_add_orders\n20261122_index_orders") !=
          std::string::npos);
    CHECK(all.find("*Backup*") == std::string::npos);
    CHECK(all.find("*Error*") == std::string::npos);

    const json& elements = blocks.at(2).at("elements");
    REQUIRE(elements.size() == 1);
    CHECK(elements.at(0).at("type") == "mrkdwn");
    CHECK(elements.at(0).at("text") ==
          "ci@runner-7 \xC2\xB7 safe-migrate 0.4.0 \xC2\xB7 <https://ci.example.com/runs/42|run>");
}

TEST_CASE("slack_body fallback text is the non-empty single-line summary", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.error = EventError{"failure", "line one\nline two"};
    e.target.database = "app\nother";
    json s = slack(e);
    std::string text = s.at("text");
    CHECK_FALSE(text.empty());
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    CHECK(text == sm::notify::summary_line(e));
}

TEST_CASE("slack_body colour and emoji follow the status", "[notify][payload]") {
    struct Case {
        const char* type;
        const char* status;
        const char* color;
        const char* header;
    };
    const Case cases[] = {
        {"deploy.started", "started", "#ecb22e", ":rocket: deploy started (production)"},
        {"deploy.succeeded", "succeeded", "#2eb67d",
         ":white_check_mark: deploy succeeded (production)"},
        {"deploy.failed", "failed", "#e01e5a", ":x: deploy failed (production)"},
        {"deploy.rolled_back", "rolled_back", "#ecb22e",
         ":leftwards_arrow_with_hook: deploy rolled back (production)"},
        {"plan.blocked", "blocked", "#ecb22e", ":no_entry: plan blocked (production)"},
        {"backup.completed", "completed", "#2eb67d", ":floppy_disk: backup completed (production)"},
        {"backup.failed", "failed", "#e01e5a", ":floppy_disk: backup failed (production)"},
        {"restore.completed", "completed", "#2eb67d",
         ":white_check_mark: restore completed (production)"},
        {"restore.failed", "failed", "#e01e5a", ":x: restore failed (production)"},
        {"notify.test", "test", "#2eb67d", ":test_tube: notify test (production)"},
    };
    for (const auto& c : cases) {
        INFO(c.type);
        json s = slack(with_status(c.type, c.status));
        CHECK(s.at("attachments").at(0).at("color") == c.color);
        CHECK(header_text(s) == c.header);
    }
}

TEST_CASE("slack_body names a missing environment", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.environment.clear();
    CHECK(header_text(slack(e)) == ":white_check_mark: deploy succeeded (no environment)");
}

TEST_CASE("slack_body escapes mrkdwn control characters in user values", "[notify][payload]") {
    Event e = with_status("deploy.failed", "failed");
    e.target.database = "<!channel>&db";
    e.error = EventError{"failure", "relation <orders> & more"};
    e.migrations = {"20261121_<b>"};
    json s = slack(e);
    std::string all = fields_text(s);
    CHECK(all.find("*Database*\n&lt;!channel&gt;&amp;db on db1") != std::string::npos);
    CHECK(all.find("*Error*\nfailure: relation &lt;orders&gt; &amp; more") != std::string::npos);
    CHECK(all.find("20261121_&lt;b&gt;") != std::string::npos);
    CHECK(all.find("<!channel>") == std::string::npos);
    std::string text = s.at("text");
    CHECK(text.find("&lt;!channel&gt;") != std::string::npos);
    CHECK(text.find('<') == std::string::npos);
}

TEST_CASE("slack_body lists backup and error and caps long fields", "[notify][payload]") {
    Event e = with_status("deploy.failed", "failed");
    e.backup = EventBackup{"bk_1", 2048, true};
    e.error = EventError{"lock_busy", std::string(5000, 'x')};
    e.migrations.clear();
    for (int i = 0; i < 12; ++i) {
        e.migrations.push_back("2026112" + std::to_string(i) + "_step");
    }
    json s = slack(e);
    const json& fields = blocks_of(s).at(1).at("fields");
    CHECK(fields.size() <= 10);
    for (const auto& f : fields) {
        CHECK(f.at("text").get<std::string>().size() <= 2000);
    }
    std::string all = fields_text(s);
    CHECK(all.find("*Backup*\nbk_1 (verified)") != std::string::npos);
    CHECK(all.find("*Error*\nlock_busy: xxx") != std::string::npos);
    CHECK(all.find("*Migrations*\n12\n") != std::string::npos);
    CHECK(all.find("and 7 more") != std::string::npos);
    CHECK(all.find("20261126_step") == std::string::npos);  // only the first few listed
}

TEST_CASE("slack_body always has at least one section field", "[notify][payload]") {
    Event e;
    e.id = "evt_t";
    e.type = "notify.test";
    e.status = "test";
    json s = slack(e);
    const json& fields = blocks_of(s).at(1).at("fields");
    REQUIRE(fields.size() == 1);
    CHECK(fields.at(0).at("text") == "*Event*\nnotify.test");
    CHECK(blocks_of(s).at(2).at("elements").at(0).at("text") == "safe-migrate");
}

TEST_CASE("slack_body omits a link that is not http", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.link = "javascript:alert(1)";
    std::string context = blocks_of(slack(e)).at(2).at("elements").at(0).at("text");
    CHECK(context.find("javascript") == std::string::npos);
    CHECK(context.find("run run_42") != std::string::npos);
}

TEST_CASE("summary_line reads as one sentence", "[notify][payload]") {
    Event e = deploy_succeeded();
    CHECK(sm::notify::summary_line(e) ==
          ":white_check_mark: deploy succeeded on production (app): 3 -> 5 in 12.3s");

    Event started = with_status("deploy.started", "started");
    started.duration_ms = 0;
    CHECK(sm::notify::summary_line(started) ==
          ":rocket: deploy started on production (app): 3 -> 5");

    Event failed = with_status("deploy.failed", "failed");
    failed.environment.clear();
    failed.version_to.reset();
    failed.duration_ms = 340;
    failed.error = EventError{"failure", "boom"};
    CHECK(sm::notify::summary_line(failed) == ":x: deploy failed (app): at 3 in 340ms [failure]");
}

TEST_CASE("summary_line formats durations for people", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.version_from.reset();
    e.version_to.reset();
    auto with_ms = [&](int64_t ms) {
        e.duration_ms = ms;
        return sm::notify::summary_line(e);
    };
    const std::string prefix = ":white_check_mark: deploy succeeded on production (app): in ";
    CHECK(with_ms(340) == prefix + "340ms");
    CHECK(with_ms(999) == prefix + "999ms");
    CHECK(with_ms(1000) == prefix + "1.0s");
    CHECK(with_ms(12345) == prefix + "12.3s");
    CHECK(with_ms(59940) == prefix + "59.9s");
    CHECK(with_ms(59960) == prefix + "1min 0s");
    CHECK(with_ms(125000) == prefix + "2min 5s");
    CHECK(with_ms(3725000) == prefix + "1h 2min");
}

TEST_CASE("summary_line with no versions and no database", "[notify][payload]") {
    Event e;
    e.type = "backup.completed";
    e.status = "completed";
    e.environment = "staging";
    e.duration_ms = 2500;
    CHECK(sm::notify::summary_line(e) == ":floppy_disk: backup completed on staging: in 2.5s");

    Event first;
    first.type = "deploy.succeeded";
    first.status = "succeeded";
    first.version_to = 1;
    CHECK(sm::notify::summary_line(first) == ":white_check_mark: deploy succeeded: none -> 1");
}

TEST_CASE("a rolled-back deployment says what was undone, how, and the runbook",
          "[notify][payload]") {
    Event e = with_status("deploy.rolled_back", "rolled_back");
    e.error = EventError{"failure", "applying 3_c failed at 3_c.up.sql:1: division by zero"};
    e.rollback = sm::notify::EventRollback{"down files", {"2_b", "1_a"}, "3_c", true, ""};
    e.runbook = "runbooks/failed-deployment.md";
    json d = json::parse(sm::notify::generic_body(e)).at("data");
    CHECK(d.at("rollback").at("means") == "down files");
    CHECK(d.at("rollback").at("undone") == json::array({"2_b", "1_a"}));
    CHECK(d.at("rollback").at("failed_migration") == "3_c");
    CHECK(d.at("rollback").at("complete") == true);
    CHECK(d.at("rollback").at("manual_action").is_null());
    CHECK(d.at("runbook") == "runbooks/failed-deployment.md");

    std::string slack = sm::notify::slack_body(e);
    CHECK(slack.find("Rollback") != std::string::npos);
    CHECK(slack.find("down files") != std::string::npos);
    CHECK(slack.find("runbooks/failed-deployment.md") != std::string::npos);
}

TEST_CASE("a run that overrode the policy says so, and why, in both payloads",
          "[notify][payload]") {
    Event e = deploy_succeeded();
    e.policy_override = sm::notify::EventPolicyOverride{"default", 2, "hotfix <INC-42>"};
    json d = json::parse(sm::notify::generic_body(e)).at("data");
    CHECK(d.at("policy_override").at("policy") == "default");
    CHECK(d.at("policy_override").at("findings") == 2);
    CHECK(d.at("policy_override").at("reason") == "hotfix <INC-42>");
    std::string slack = sm::notify::slack_body(e);
    CHECK(slack.find("Policy overridden") != std::string::npos);
    CHECK(slack.find("2 finding(s) of default: hotfix &lt;INC-42&gt;") != std::string::npos);
    CHECK(sm::notify::summary_line(e).find("[policy overridden]") != std::string::npos);
}

TEST_CASE("event_from_generic reads back what generic_body wrote", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.backup = EventBackup{"bk_1", 99, true};
    e.error = EventError{"failure", "it broke"};
    e.runbook = "runbooks/restore.md";
    e.spooled_at = "2026-11-21T23:16:00.000Z";
    auto back = sm::notify::event_from_generic(sm::notify::generic_body(e));
    REQUIRE(back);
    CHECK(sm::notify::generic_body(*back) == sm::notify::generic_body(e));
    CHECK_FALSE(sm::notify::event_from_generic("not json"));
}

TEST_CASE("slack_body says a stale event is late and links a runbook", "[notify][payload]") {
    Event e = deploy_succeeded();
    e.runbook = "runbooks/failed-deployment.md";
    e.runbook_url = "https://git.example.com/app/runbooks/failed-deployment.md";
    e.spooled_at = "2026-11-21T23:16:00.000Z";
    std::string fresh = sm::notify::slack_body(e);
    CHECK(fresh.find("Delivered late") == std::string::npos);
    CHECK(fresh.find("<https://git.example.com/app/runbooks/failed-deployment.md|"
                     "runbooks/failed-deployment.md>") != std::string::npos);
    e.stale = true;
    json late = json::parse(sm::notify::slack_body(e));
    CHECK(late["text"].get<std::string>().find("[late: spooled at 2026-11-21T23:16:00.000Z]") !=
          std::string::npos);
    CHECK(late.dump().find("Delivered late") != std::string::npos);
}

}  // namespace notify_payload_test
