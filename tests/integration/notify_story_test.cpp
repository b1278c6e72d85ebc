// Notifications tell a true story: a run that announced deploy.started ends
// with deploy.succeeded or deploy.failed (refused when nothing ran), spooled
// events say when they were spooled and arrive marked stale when flushed late,
// restores (manual and automatic) show the versions before and after, and
// runbooks are links when a base URL is configured.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/time.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace notify_story_test {

using namespace sm::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::vector<json> bodies(const HttpReceiver& receiver) {
    std::vector<json> out;
    for (const auto& r : receiver.requests()) {
        out.push_back(json::parse(r.body));
    }
    return out;
}

std::vector<std::string> types(const std::vector<json>& events) {
    std::vector<std::string> out;
    out.reserve(events.size());
    for (const auto& e : events) {
        out.push_back(e["type"].get<std::string>());
    }
    return out;
}

const json* find_type(const std::vector<json>& events, const std::string& type) {
    for (const auto& e : events) {
        if (e["type"] == type) {
            return &e;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("notify story: a deploy refused by a required endpoint ends with deploy.failed refused") {
    TestDatabase db;
    HttpReceiver gate;
    gate.set_default(ScriptedResponse::with_status(503));
    HttpReceiver team;
    Project project;
    project.write_config(project.notify_section() +
                         webhook("gate", "generic", gate.url("/hooks/gate"),
                                 "required = true\nevents = [\"deploy.*\"]\n") +
                         webhook("team", "generic", team.url("/hooks/team")));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 8);
    auto told = bodies(team);
    REQUIRE(types(told) == std::vector<std::string>{"deploy.started", "deploy.failed"});
    CHECK(told[1]["data"]["status"] == "refused");
    CHECK(told[1]["data"]["error"]["code"] == "refused");
    CHECK(told[1]["data"]["version_to"].is_null());  // nothing was applied
    // The endpoint that refused gets the end of the story from the spool too.
    std::string spool = sm::util::read_file_if_exists(project.spool()).value_or("");
    CHECK(spool.find("\"deploy.failed\"") != std::string::npos);
}

TEST_CASE("notify story: spooled events carry spooled_at and arrive stale when flushed late") {
    TestDatabase db;
    HttpReceiver hook;
    hook.set_default(ScriptedResponse::with_status(503));
    HttpReceiver slack;
    slack.set_default(ScriptedResponse::with_status(503));
    Project project;
    project.write_config(project.notify_section("stale_after = \"1s\"\n", 0) +
                         webhook("pipeline", "generic", hook.url("/hooks/p")) +
                         webhook("team", "slack", slack.url("/services/team")));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    auto run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);

    std::this_thread::sleep_for(1500ms);
    hook.set_default(ScriptedResponse::with_status(200));
    slack.set_default(ScriptedResponse::with_status(200));
    size_t hook_before = hook.count();
    size_t slack_before = slack.count();
    auto flush = run_tool(project.args({"notify", "flush"}));
    INFO(flush.all());
    REQUIRE(flush.exit_code == 0);

    auto generic = bodies(hook);
    REQUIRE(generic.size() == hook_before + 2);
    for (size_t i = hook_before; i < generic.size(); ++i) {
        CHECK(generic[i]["data"]["stale"] == true);
        REQUIRE(generic[i]["data"]["spooled_at"].is_string());
        CHECK(generic[i]["data"]["spooled_at"].get<std::string>().size() == 24);
    }
    auto messages = bodies(slack);
    REQUIRE(messages.size() == slack_before + 2);
    for (size_t i = slack_before; i < messages.size(); ++i) {
        CHECK(messages[i]["text"].get<std::string>().find("[late: spooled at ") !=
              std::string::npos);
        CHECK(messages[i].dump().find("Delivered late") != std::string::npos);
    }
}

TEST_CASE("notify story: spooled events flushed in time are not stale") {
    TestDatabase db;
    HttpReceiver hook;
    hook.set_default(ScriptedResponse::with_status(503));
    Project project;
    project.write_config(project.notify_section("", 0) +
                         webhook("pipeline", "generic", hook.url("/hooks/p")));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    hook.set_default(ScriptedResponse::with_status(200));
    size_t before = hook.count();
    REQUIRE(run_tool(project.args({"notify", "flush"})).exit_code == 0);
    auto sent = bodies(hook);
    REQUIRE(sent.size() == before + 2);
    CHECK(sent[before]["data"]["stale"] == false);
    CHECK(sent[before]["data"]["spooled_at"].is_string());
}

TEST_CASE("notify story: deploy.succeeded's duration is the one the CLI reports") {
    TestDatabase db;
    HttpReceiver hook;
    Project project;
    project.write_config(project.notify_section() +
                         webhook("pipeline", "generic", hook.url("/hooks/p")));
    project.migration("1_first.up.sql", "SELECT pg_sleep(0.3);\nCREATE TABLE first (a int);\n");
    auto run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    auto sent = bodies(hook);
    const json* done = find_type(sent, "deploy.succeeded");
    REQUIRE(done != nullptr);
    auto ms = std::chrono::milliseconds((*done)["data"]["duration_ms"].get<int64_t>());
    CHECK(run.all().find("applied 1 migration(s) in " + sm::util::format_duration(ms) + ";") !=
          std::string::npos);
}

TEST_CASE("notify story: restores say the versions before and after, and runbooks are links") {
    TestDatabase db;
    HttpReceiver hook;
    Project project;
    project.write_config(
        project.backup_section() +
        project.notify_section("runbook_base_url = \"https://git.example.com/app/blob/main/\"\n") +
        webhook("pipeline", "generic", hook.url("/hooks/p")));
    project.migration("1_a.up.sql", "CREATE TABLE a (id int);\n");
    project.migration("1_a.down.sql", "DROP TABLE a;\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    REQUIRE(run_tool(project.args(db, {"backup", "create"})).exit_code == 0);
    project.migration("2_b.up.sql", "CREATE TABLE b (id int);\n");
    project.migration("2_b.down.sql", "DROP TABLE b;\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    db.disconnect();

    size_t before = hook.count();
    auto restored = run_tool(project.args(db, {"restore", "--latest", "--confirm", db.name()}));
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    auto events = bodies(hook);
    std::vector<json> mine(events.begin() + static_cast<long>(before), events.end());
    const json* completed = find_type(mine, "restore.completed");
    REQUIRE(completed != nullptr);
    CHECK((*completed)["data"]["version_from"] == 2);
    CHECK((*completed)["data"]["version_to"] == 1);
    db.disconnect();

    // An automatic restore sends its restore.* events too; deploy.failed names
    // the version reached and links its runbook.
    project.migration("3_broken.up.sql", "SELECT 1/0;\n");
    before = hook.count();
    auto failed = run_tool(project.args(db, {"execute", "--backup", "--on-failure", "restore"}));
    INFO(failed.all());
    CHECK(failed.exit_code == 1);
    events = bodies(hook);
    mine.assign(events.begin() + static_cast<long>(before), events.end());
    CHECK(find_type(mine, "restore.started") != nullptr);
    const json* auto_completed = find_type(mine, "restore.completed");
    REQUIRE(auto_completed != nullptr);
    CHECK((*auto_completed)["data"]["version_from"] == 2);
    CHECK((*auto_completed)["data"]["version_to"] == 1);  // the run's pre-deploy backup
    const json* deploy_failed = find_type(mine, "deploy.failed");
    REQUIRE(deploy_failed != nullptr);
    CHECK((*deploy_failed)["data"]["status"] == "failed");
    CHECK((*deploy_failed)["data"]["version_to"] == 2);  // reached; 3 was intended
    CHECK((*deploy_failed)["data"]["runbook_url"] ==
          "https://git.example.com/app/blob/main/runbooks/failed-deployment.md");
}

TEST_CASE("notify story: an unset variable only notifications use does not stop a restore") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    project.migration("1_a.up.sql", "CREATE TABLE a (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    REQUIRE(run_tool(project.args(db, {"backup", "create"})).exit_code == 0);
    db.disconnect();
    project.write_config(
        project.backup_section() +
        "[[notify.webhooks]]\nkind = \"slack\"\nurl = \"${SM_TEST_UNSET_HOOK}\"\n");
    auto restored = run_tool(project.args(db, {"restore", "--latest", "--confirm", db.name()}));
    INFO(restored.all());
    CHECK(restored.exit_code == 0);
    CHECK(restored.err.find("SM_TEST_UNSET_HOOK") != std::string::npos);
    auto status = run_tool(project.args(db, {"status"}));
    INFO(status.all());
    CHECK(status.exit_code == 0);
}

}  // namespace notify_story_test
