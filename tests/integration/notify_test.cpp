// The notifier end to end: the real binary posting over real sockets to a
// local HTTP receiver, against the suite's cluster. Payload shapes, signing,
// retries, Retry-After, 4xx handling, 410, the deadline and the spool, the
// events execute sends, required endpoints, and that no secret leaves.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "notify/payload.hpp"
#include "sandbox/cluster.hpp"
#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace notify_test {

using namespace sm::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

json body_of(const ReceivedRequest& r) {
    return json::parse(r.body);
}

std::vector<std::string> types_of(const std::vector<ReceivedRequest>& requests) {
    std::vector<std::string> types;
    types.reserve(requests.size());
    for (const auto& r : requests) {
        types.push_back(body_of(r)["type"].get<std::string>());
    }
    return types;
}

std::string read_text(const fs::path& file) {
    return sm::util::read_file_if_exists(file).value_or("");
}

std::vector<json> spool_lines(const fs::path& file) {
    std::vector<json> lines;
    std::istringstream in(read_text(file));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(json::parse(line));
        }
    }
    return lines;
}

// Everything a request carries, for leak checks.
std::string everything(const ReceivedRequest& r) {
    std::string all = r.method + " " + r.body + "\n";
    for (const auto& [key, value] : r.headers) {
        all.append(key).append(": ").append(value).append("\n");
    }
    return all;
}

// Checks that none of secrets appears in what.
void check_no_secrets(const std::string& what, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) {
        INFO("looking for a secret in: " << what.substr(0, 2000));
        CHECK(what.find(s) == std::string::npos);
    }
}

json notify_results(const ToolRun& run) {
    INFO(run.all());
    return json::parse(run.out)["results"];
}

}  // namespace

TEST_CASE("notify: the test action posts a Slack message with blocks and a fallback text") {
    HttpReceiver receiver;
    Project project;
    project.write_config(project.notify_section() +
                         webhook("team", "slack", receiver.url("/services/T0KEN-slack")));
    auto run = run_tool(project.args({"notify", "test"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].path == "/services/T0KEN-slack");
    CHECK(requests[0].header("Content-Type") == "application/json");
    CHECK(requests[0].header("webhook-signature").empty());  // Slack messages are not signed

    json message = body_of(requests[0]);
    REQUIRE(message["text"].is_string());
    CHECK_FALSE(message["text"].get<std::string>().empty());
    CHECK(message["text"].get<std::string>().find('\n') == std::string::npos);
    REQUIRE(message["attachments"].is_array());
    REQUIRE(message["attachments"].size() == 1);
    json attachment = message["attachments"][0];
    CHECK(attachment["color"].get<std::string>().rfind('#', 0) == 0);
    REQUIRE(attachment["blocks"].is_array());
    std::vector<std::string> kinds;
    for (const auto& block : attachment["blocks"]) {
        kinds.push_back(block["type"].get<std::string>());
    }
    CHECK(kinds == std::vector<std::string>{"header", "section", "context"});
    CHECK(attachment["blocks"][0]["text"]["type"] == "plain_text");
    CHECK_FALSE(attachment["blocks"][0]["text"]["text"].get<std::string>().empty());
}

TEST_CASE("notify: a generic endpoint's signature verifies with its secret and not with another") {
    HttpReceiver receiver;
    Project project;
    // A dummy signing key (24 zero bytes, base64): for tests only.
    const std::string secret = "whsec_ZHVtbXktdGVzdC1rZXk=";  // base64 of "dummy-test-key"
    project.write_config(project.notify_section() + webhook("pipeline", "generic",
                                                            receiver.url("/hooks/generic"),
                                                            "secret = \"" + secret + "\"\n"));
    auto started = std::chrono::system_clock::now();
    auto run = run_tool(project.args({"notify", "test"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    const auto& r = requests[0];
    std::string id = r.header("webhook-id");
    std::string timestamp = r.header("webhook-timestamp");
    std::string signature = r.header("webhook-signature");
    CHECK(id.rfind("evt_", 0) == 0);
    CHECK(signature.rfind("v1,", 0) == 0);
    REQUIRE_FALSE(timestamp.empty());
    auto sent = std::stoll(timestamp);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto before =
        std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
    CHECK(sent >= before - 1);
    CHECK(sent <= now + 1);

    CHECK(sm::notify::verify_signature(secret, id, timestamp, r.body, signature));
    CHECK_FALSE(sm::notify::verify_signature("whsec_YW5vdGhlci1zZWNyZXQ=", id, timestamp, r.body,
                                             signature));
    CHECK_FALSE(sm::notify::verify_signature(secret, id, timestamp, r.body + " ", signature));
    CHECK_FALSE(
        sm::notify::verify_signature(secret, id, std::to_string(sent + 1), r.body, signature));

    json envelope = body_of(r);
    CHECK(envelope["id"] == id);
    CHECK(envelope["type"] == "notify.test");
    CHECK(envelope["data"].is_object());
}

TEST_CASE("notify: a 500 then a 200 is delivered once with the same webhook-id on both attempts") {
    HttpReceiver receiver;
    receiver.enqueue(ScriptedResponse::with_status(500));
    Project project;
    project.write_config(project.notify_section() +
                         webhook("pipeline", "generic", receiver.url("/hooks/retry"),
                                 "secret = \"plain-secret-for-retries\"\n"));
    auto run = run_tool(project.args({"notify", "test", "--format", "json"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].header("webhook-id") == requests[1].header("webhook-id"));
    CHECK(requests[0].body == requests[1].body);
    json results = notify_results(run);
    REQUIRE(results.size() == 1);
    CHECK(results[0]["delivered"] == true);
    CHECK(results[0]["attempts"] == 2);
    CHECK(results[0]["status"] == 200);
}

TEST_CASE("notify: a 429 with Retry-After is honoured before the next attempt") {
    HttpReceiver receiver;
    receiver.enqueue(ScriptedResponse::with_status(429, {{"Retry-After", "1"}}));
    Project project;
    project.write_config(project.notify_section() +
                         webhook("pipeline", "generic", receiver.url("/hooks/busy")));
    auto run = run_tool(project.args({"notify", "test", "--format", "json"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 2);
    auto gap = requests[1].at - requests[0].at;
    INFO("gap " << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
    CHECK(gap >= 950ms);
    CHECK(gap < 4s);
    CHECK(requests[0].header("webhook-id") == requests[1].header("webhook-id"));
    CHECK(notify_results(run)[0]["attempts"] == 2);
}

TEST_CASE("notify: a 404 is not retried") {
    HttpReceiver receiver;
    receiver.enqueue(ScriptedResponse::with_status(404));
    Project project;
    project.write_config(project.notify_section() +
                         webhook("pipeline", "generic", receiver.url("/hooks/missing")));
    auto run = run_tool(project.args({"notify", "test", "--format", "json"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);  // notify test reports what was not delivered
    CHECK(receiver.count() == 1);
    json results = notify_results(run);
    CHECK(results[0]["delivered"] == false);
    CHECK(results[0]["attempts"] == 1);
    CHECK(results[0]["status"] == 404);
    CHECK(results[0]["detail"].get<std::string>().find("not retried") != std::string::npos);
    CHECK_FALSE(fs::exists(project.spool()));  // notify test never spools
}

TEST_CASE("notify: a 410 disables the endpoint for the rest of the run") {
    TestDatabase db;
    HttpReceiver receiver;
    receiver.enqueue(ScriptedResponse::with_status(200));  // deploy.started
    receiver.enqueue(ScriptedResponse::with_status(410));  // the first migration.applied
    Project project;
    project.write_config(project.notify_section() +
                         webhook("pipeline", "generic", receiver.url("/hooks/gone"),
                                 "events = [\"migration.applied\", \"deploy.*\"]\n"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    project.migration("2_second.up.sql", "CREATE TABLE second (a int);\n");
    auto run = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");
    auto requests = receiver.requests();
    CHECK(types_of(requests) == std::vector<std::string>{"deploy.started", "migration.applied"});
    CHECK(run.err.find("410") != std::string::npos);
    CHECK_FALSE(fs::exists(project.spool()));  // a gone endpoint is not spooled for
}

TEST_CASE(
    "notify: an endpoint that never answers is bounded by the deadline and spooled for flush") {
    TestDatabase db;
    HttpReceiver receiver;
    receiver.set_default(ScriptedResponse::hanging(10s));
    Project project;
    project.write_config(
        "[notify]\ndeadline = \"2s\"\nattempt_timeout = \"1s\"\nconnect_timeout = \"1s\"\n"
        "spool = \"" +
        project.spool().string() + "\"\n" +
        webhook("pipeline", "generic", receiver.url("/hooks/T0KEN-hang"),
                "secret = \"hang-secret-value\"\n"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto started = Clock::now();
    auto run = run_tool(project.args({"--database-url", db.url(), "execute"}));
    auto took = Clock::now() - started;
    INFO(run.all());
    INFO("execute took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms");
    CHECK(run.exit_code == 0);
    CHECK(took < 12s);  // two events, each bounded by the 2 s deadline
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
    CHECK(receiver.count() >= 2);

    // Both events wait in the spool, by endpoint name, never by URL.
    auto spooled = spool_lines(project.spool());
    REQUIRE(spooled.size() == 2);
    CHECK(spooled[0]["type"] == "deploy.started");
    CHECK(spooled[1]["type"] == "deploy.succeeded");
    CHECK(spooled[0]["endpoint"] == "pipeline");
    check_no_secrets(read_text(project.spool()), {"T0KEN-hang", "hang-secret-value"});
    CHECK((fs::status(project.spool()).permissions() & fs::perms::others_all) == fs::perms::none);

    // The endpoint is back: flush delivers what was spooled, with the same ids, and empties it.
    receiver.set_default(ScriptedResponse::with_status(200));
    size_t before = receiver.count();
    auto flush = run_tool(project.args({"notify", "flush", "--format", "json"}));
    INFO(flush.all());
    CHECK(flush.exit_code == 0);
    json results = notify_results(flush);
    REQUIRE(results.size() == 2);
    CHECK(results[0]["delivered"] == true);
    CHECK(results[1]["delivered"] == true);
    auto requests = receiver.requests();
    REQUIRE(requests.size() == before + 2);
    CHECK(body_of(requests[before])["id"] == spooled[0]["id"]);
    CHECK(requests[before].header("webhook-id") == spooled[0]["id"].get<std::string>());
    CHECK(body_of(requests[before + 1])["type"] == "deploy.succeeded");
    CHECK(requests[before].body == spooled[0]["body"].get<std::string>());
    CHECK(sm::notify::verify_signature("hang-secret-value", requests[before].header("webhook-id"),
                                       requests[before].header("webhook-timestamp"),
                                       requests[before].body,
                                       requests[before].header("webhook-signature")));
    CHECK(spool_lines(project.spool()).empty());

    auto again = run_tool(project.args({"notify", "flush"}));
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("the spool is empty") != std::string::npos);
    CHECK(receiver.count() == before + 2);
}

TEST_CASE("notify: execute sends deploy.started then deploy.succeeded with the run's data") {
    TestDatabase db;
    HttpReceiver receiver;
    HttpReceiver top_level;  // replaced by the environment's endpoints: gets nothing
    Project project;
    project.write_config(project.notify_section("link = \"https://ci.example/runs/42\"\n") +
                         webhook("everyone", "generic", top_level.url("/hooks/top")) +
                         "[environments.staging]\ndatabase_url = \"" + db.url() + "\"\n" +
                         webhook("pipeline", "generic", receiver.url("/hooks/staging"), "",
                                 "environments.staging.notify.webhooks") +
                         webhook("team", "slack", receiver.url("/services/staging"), "",
                                 "environments.staging.notify.webhooks"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    project.migration("2_second.up.sql", "CREATE TABLE second (a int);\n");
    auto run = run_tool(project.args({"--env", "staging", "execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(top_level.count() == 0);

    std::vector<ReceivedRequest> generic;
    std::vector<ReceivedRequest> slack;
    for (const auto& r : receiver.requests()) {
        (r.path == "/hooks/staging" ? generic : slack).push_back(r);
    }
    // migration.applied is opt-in: the default filter leaves it out.
    REQUIRE(types_of(generic) == std::vector<std::string>{"deploy.started", "deploy.succeeded"});
    REQUIRE(slack.size() == 2);

    std::string run_id = db.scalar("SELECT DISTINCT run_id FROM safe_migrate.history");
    for (const auto& r : generic) {
        json e = body_of(r);
        INFO(r.body);
        CHECK(e["id"].get<std::string>().rfind("evt_", 0) == 0);
        CHECK(r.header("webhook-id") == e["id"].get<std::string>());
        CHECK_FALSE(e["timestamp"].get<std::string>().empty());
        json d = e["data"];
        CHECK(d["environment"] == "staging");
        CHECK(d["target"]["database"] == db.name());
        CHECK(d["target"]["server_version"].get<int>() >= 150000);
        CHECK(d["version_from"].is_null());  // an empty database
        CHECK(d["version_to"] == 2);
        CHECK(d["migrations"] == json::array({"1_first", "2_second"}));
        CHECK(d["run_id"] == run_id);
        CHECK(d["actor"].get<std::string>().find('@') != std::string::npos);
        CHECK_FALSE(d["tool_version"].get<std::string>().empty());
        CHECK(d["link"] == "https://ci.example/runs/42");
        CHECK(d["error"].is_null());
        CHECK_FALSE(d["started_at"].get<std::string>().empty());
    }
    json started = body_of(generic[0])["data"];
    json succeeded = body_of(generic[1])["data"];
    CHECK(started["status"] == "started");
    CHECK(succeeded["status"] == "succeeded");
    CHECK(succeeded["duration_ms"].get<int64_t>() >= 0);
    CHECK(body_of(generic[0])["id"] != body_of(generic[1])["id"]);

    json slack_done = body_of(slack[1]);
    CHECK(slack_done["attachments"][0]["color"] == "#2eb67d");
    CHECK(slack_done["text"].get<std::string>().find("staging") != std::string::npos);

    // Nothing pending: no deploy events at all.
    size_t before = receiver.count();
    auto again = run_tool(project.args({"--env", "staging", "execute"}));
    CHECK(again.exit_code == 0);
    CHECK(receiver.count() == before);
}

TEST_CASE("notify: a failing migration sends deploy.failed with the error code and no SQL") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    project.write_config(
        project.notify_section() +
        webhook("pipeline", "generic", receiver.url("/hooks/failed"),
                "events = [\"deploy.*\", \"migration.applied\"]\n") +
        webhook("team", "slack", receiver.url("/services/failed"), "events = [\"deploy.*\"]\n"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    project.migration("2_broken.up.sql",
                      "CREATE TABLE sqlmark_made (a int);\n"
                      "INSERT INTO sqlmark_missing_table VALUES ('SQLMARK-literal-77');\n");
    auto run = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");

    std::vector<ReceivedRequest> generic;
    std::vector<ReceivedRequest> slack;
    for (const auto& r : receiver.requests()) {
        (r.path == "/hooks/failed" ? generic : slack).push_back(r);
    }
    REQUIRE(types_of(generic) == std::vector<std::string>{"deploy.started", "migration.applied",
                                                          "deploy.failed", "deploy.rolled_back"});
    // 1_first has no down file: the rollback could not run, and says what to do.
    json stuck = body_of(generic[3])["data"];
    CHECK(stuck["status"] == "rollback_incomplete");
    CHECK(stuck["rollback"]["complete"] == false);
    CHECK(stuck["rollback"]["manual_action"].get<std::string>().find("no down file for 1_first") !=
          std::string::npos);
    CHECK(stuck["runbook"] == "runbooks/failed-deployment.md");
    json failed = body_of(generic[2])["data"];
    INFO(generic[2].body);
    CHECK(failed["status"] == "failed");
    REQUIRE(failed["error"].is_object());
    CHECK(failed["error"]["code"] == "failure");
    std::string message = failed["error"]["message"].get<std::string>();
    CHECK_FALSE(message.empty());
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() <= 200);
    CHECK(failed["version_from"].is_null());
    CHECK(failed["version_to"] == 1);  // where the target stands now
    CHECK(failed["migrations"] == json::array({"1_first", "2_broken"}));

    REQUIRE(slack.size() == 3);
    CHECK(body_of(slack[1])["attachments"][0]["color"] == "#e01e5a");
    CHECK(body_of(slack[2])["attachments"][0]["color"] == "#e01e5a");  // rollback incomplete
    for (const auto& r : receiver.requests()) {
        // Neither the statement nor its literal travels.
        check_no_secrets(r.body, {"SQLMARK-literal-77", "INSERT INTO", "CREATE TABLE"});
    }
}

TEST_CASE("notify: a required endpoint that refuses deploy.started stops execute before anything") {
    TestDatabase db;
    HttpReceiver receiver;
    receiver.set_default(ScriptedResponse::with_status(503));
    HttpReceiver other;
    Project project;
    project.write_config(project.notify_section() +
                         webhook("gate", "generic", receiver.url("/hooks/gate"),
                                 "required = true\nevents = [\"deploy.*\"]\n") +
                         webhook("team", "slack", other.url("/services/team")));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto run = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 8);
    CHECK(run.err.find("required notification endpoint") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT to_regclass('first') IS NULL") == "t");
    // The first attempt and two retries, then the end of the story, refused, the same way.
    CHECK(types_of(receiver.requests()) ==
          std::vector<std::string>{"deploy.started", "deploy.started", "deploy.started",
                                   "deploy.failed", "deploy.failed", "deploy.failed"});
    // Then it works: the same run goes through.
    receiver.set_default(ScriptedResponse::with_status(200));
    auto retry = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(retry.all());
    CHECK(retry.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

TEST_CASE("notify: notification failures never change execute's exit code") {
    TestDatabase db;
    HttpReceiver failing;
    failing.set_default(ScriptedResponse::with_status(500));
    HttpReceiver rejecting;
    rejecting.set_default(ScriptedResponse::with_status(400));
    std::string refused;  // nothing listens there any more
    {
        HttpReceiver gone;
        refused = gone.url("/hooks/refused");
    }
    Project project;
    project.write_config(project.notify_section("", 0) +
                         webhook("failing", "generic", failing.url("/hooks/500")) +
                         webhook("rejecting", "slack", rejecting.url("/services/400")) +
                         webhook("refused", "generic", refused));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");

    auto ok = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(ok.all());
    CHECK(ok.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
    CHECK(failing.count() > 0);
    CHECK(rejecting.count() > 0);

    project.migration("2_broken.up.sql", "SELECT 1 / 0;\n");
    auto broken = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(broken.all());
    CHECK(broken.exit_code == 1);  // the migration's failure, not the notifier's
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

TEST_CASE(
    "notify: undeliverable events go to the project's default spool when none is configured") {
    TestDatabase db;
    HttpReceiver receiver;
    receiver.set_default(ScriptedResponse::with_status(503));
    Project project;
    project.write_config("[notify]\ndeadline = \"2s\"\nretries = 0\n" +
                         webhook("pipeline", "generic", receiver.url("/hooks/spool")));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto run = run_tool(project.args({"--database-url", db.url(), "execute"}));
    INFO(run.all());
    CHECK(run.signal == 0);
    CHECK(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
    // The documented default: <project>/.safe-migrate/notify-spool.jsonl.
    CHECK(spool_lines(project.dir() / ".safe-migrate" / "notify-spool.jsonl").size() == 2);
}

TEST_CASE("notify: no password webhook secret or URL token appears in any request") {
    TestDatabase db;
    HttpReceiver receiver;
    const std::string password = sm::sandbox::read_password(cluster());
    REQUIRE(password.size() >= 8);
    const std::string secret = "hook-secret-Zq81xv";
    const std::string token = "T0KEN-abc123";
    HttpReceiver flaky;  // fails, so that the spool is written and flushed too
    flaky.set_default(ScriptedResponse::with_status(503));
    Project project;
    project.write_config(
        project.notify_section() +
        webhook("pipeline", "generic", receiver.url("/hooks/" + token),
                "secret = \"" + secret + "\"\nevents = [\"*\"]\n") +
        webhook("team", "slack", receiver.url("/services/" + token), "events = [\"*\"]\n") +
        webhook("flaky", "generic", flaky.url("/flaky/" + token),
                "secret = \"" + secret + "\"\nevents = [\"deploy.started\"]\n"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    project.migration("2_broken.up.sql", "SELECT 1 / 0;\n");

    std::vector<ToolRun> runs;
    runs.push_back(run_tool(project.args({"--database-url", db.url_with_password(), "execute"})));
    runs.push_back(run_tool(project.args({"notify", "test"})));
    runs.push_back(run_tool(project.args({"notify", "flush"})));
    CHECK(runs[0].exit_code == 1);  // the second migration fails
    CHECK_FALSE(spool_lines(project.spool()).empty());

    auto requests = receiver.requests();
    auto more = flaky.requests();
    // started, applied, failed, rolled_back (incomplete) and a test, to two endpoints
    CHECK(requests.size() == 10);
    CHECK(more.size() >= 3);  // deploy.started, a test and the flush
    requests.insert(requests.end(), more.begin(), more.end());
    for (const auto& r : requests) {
        check_no_secrets(everything(r), {password, secret, token});
    }
    for (const auto& run : runs) {
        check_no_secrets(run.all(), {password, secret, token});
    }
    check_no_secrets(read_text(project.spool()), {password, secret, token});
}

TEST_CASE("notify: deploy events carry the pre-deploy backup of a protected environment") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    sm::util::TempDir catalog("sm-notify-backups");
    project.write_config(
        project.notify_section() + webhook("pipeline", "generic", receiver.url("/hooks/prod")) +
        "[backup]\ndir = \"" + catalog.path().string() + "\"\n" +
        "[environments.prod]\nprotected = true\ndatabase_url = \"" + db.url() + "\"\n");
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto run = run_tool(project.args({"--env", "prod", "execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    auto requests = receiver.requests();
    REQUIRE(types_of(requests) == std::vector<std::string>{"deploy.started", "deploy.succeeded"});
    auto list =
        run_tool({"backup", "list", "--format", "json", "--backup-dir", catalog.path().string()});
    REQUIRE(list.exit_code == 0);
    json backups = json::parse(list.out)["backups"];
    REQUIRE(backups.size() == 1);
    for (const auto& r : requests) {
        json b = body_of(r)["data"]["backup"];
        INFO(r.body);
        CHECK(b["id"] == backups[0]["id"]);
        CHECK(b["verified"] == true);
        CHECK(b["bytes"].get<int64_t>() > 0);
    }
}

}  // namespace notify_test
