// Hints tell the truth: the command a hint names is run here and does what the
// hint says. (cli_usage_test runs the help commands of the usage hints.)
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace hints_test {

using namespace sm::test;
using namespace std::chrono_literals;

namespace {

// Sleeps only when the session asks for it (PGOPTIONS), so a re-run is quick.
constexpr const char* k_slow_migration =
    "SELECT pg_sleep(CASE WHEN current_setting('sm.test_sleep', true) = 'on' THEN 60 ELSE 0 END);\n"
    "CREATE TABLE slow (a int);\n";

// The "hint: " line of stderr.
std::string hint_of(const std::string& err) {
    size_t at = err.find("hint: ");
    return at == std::string::npos ? "" : err.substr(at + 6, err.find('\n', at) - at - 6);
}

// execute on db, interrupted (SIGINT) while the slow migration sleeps.
ToolRun interrupted_execute(const Project& project, const TestDatabase& db) {
    auto run = start_tool(project.args(db, {"execute"}), {{"PGOPTIONS", "-c sm.test_sleep=on"}});
    for (int i = 0; i < 400; ++i) {
        if (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT "
                      "pg_sleep(CASE%' AND state = 'active' AND datname = current_database()") ==
            "1") {
            break;
        }
        std::this_thread::sleep_for(25ms);
    }
    run->send_signal(SIGINT);
    auto result = run->wait_for(15s);
    REQUIRE(result);
    return to_run(*result);
}

}  // namespace

TEST_CASE("Ctrl-C before anything was applied hints a re-run, not rollback --steps 0") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_slow.up.sql", k_slow_migration);

    ToolRun stopped = interrupted_execute(project, db);
    INFO(stopped.all());
    CHECK(stopped.exit_code == 130);
    CHECK(hint_of(stopped.err) == "Re-run execute to continue.");

    ToolRun rerun = run_tool(project.args(db, {"execute"}));
    INFO(rerun.all());
    CHECK(rerun.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

TEST_CASE("Ctrl-C after a migration was applied hints the rollback that undoes it") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    project.migration("1_first.down.sql", "DROP TABLE first;\n");
    project.migration("2_slow.up.sql", k_slow_migration);

    ToolRun stopped = interrupted_execute(project, db);
    INFO(stopped.all());
    CHECK(stopped.exit_code == 130);
    std::string hint = hint_of(stopped.err);
    CHECK(hint == "Re-run execute to continue, or undo them with safe-migrate rollback --steps 1.");

    std::vector<std::string> hinted = hinted_args(hint);
    REQUIRE(hinted == std::vector<std::string>{"rollback", "--steps", "1"});
    ToolRun undone = run_tool(project.args(db, hinted));
    INFO(undone.all());
    CHECK(undone.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT to_regclass('first') IS NULL") == "t");
}

TEST_CASE("the changed-seed hint names a rollback command that works, --env included") {
    TestDatabase db;
    Project project;
    project.write_config("[environments.dev]\n");
    project.migration("1_t.up.sql", "CREATE TABLE t (id text PRIMARY KEY, v int);\n");
    std::filesystem::create_directories(project.migrations() / "seeds" / "dev");
    auto seed = [&](const std::string& file, const std::string& sql) {
        std::ofstream(project.migrations() / "seeds" / "dev" / file) << sql;
    };
    seed("010_a.sql", "INSERT INTO t VALUES ('a', 1);\n");
    seed("010_a.rollback.sql", "DELETE FROM t WHERE id = 'a';\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    REQUIRE(run_tool(project.args(db, {"--env", "dev", "seed", "run"})).exit_code == 0);

    seed("010_a.sql", "INSERT INTO t VALUES ('a', 2);\n");
    ToolRun drift = run_tool(project.args(db, {"--env", "dev", "seed", "run"}));
    INFO(drift.all());
    CHECK(drift.exit_code == 11);
    std::vector<std::string> hinted = hinted_args(hint_of(drift.err));
    REQUIRE(hinted ==
            std::vector<std::string>{"--env", "dev", "seed", "rollback", "--id", "010_a"});

    ToolRun rolled_back = run_tool(project.args(db, hinted));
    INFO(rolled_back.all());
    CHECK(rolled_back.exit_code == 0);
    ToolRun again = run_tool(project.args(db, {"--env", "dev", "seed", "run"}));
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(db.scalar("SELECT v FROM t WHERE id = 'a'") == "2");
}

TEST_CASE("the no-sandbox hint starts one") {
    sm::util::TempDir dir("sm-hint-sandbox");
    std::string state = (dir.path() / "sandbox.json").string();
    ToolRun missing = run_tool({"sandbox", "url", "--state", state});
    CHECK(missing.exit_code == 1);
    std::string hint = hint_of(missing.err);
    CHECK(hint == "Start one with: safe-migrate sandbox start");
    std::vector<std::string> hinted = hinted_args(hint);
    REQUIRE(hinted == std::vector<std::string>{"sandbox", "start"});
    hinted.insert(hinted.end(), {"--state", state});
    ToolRun started = run_tool(hinted);
    INFO(started.all());
    CHECK(started.exit_code == 0);
    CHECK(run_tool({"sandbox", "url", "--state", state}).exit_code == 0);
    CHECK(run_tool({"sandbox", "stop", "--state", state}).exit_code == 0);
}

namespace {

// hinted_args with the hint's placeholders (DIR, FILE, "...") filled in.
std::vector<std::string> filled(std::vector<std::string> args,
                                const std::map<std::string, std::string>& values) {
    for (auto& a : args) {
        auto it = values.find(a);
        a = it == values.end() ? a : it->second;
    }
    return args;
}

}  // namespace

TEST_CASE("the lint hint for a folder of down files lints them") {
    Project project;
    project.migration("1_users.down.sql", "DROP TABLE users;\n");
    ToolRun run = run_tool({"lint", project.migrations().string()});
    CHECK(run.exit_code == 3);
    std::vector<std::string> hinted = hinted_args(hint_of(run.err));
    REQUIRE(hinted ==
            std::vector<std::string>{"lint", "--include-down", project.migrations().string()});
    ToolRun linted = run_tool(hinted);
    INFO(linted.all());
    CHECK((linted.exit_code == 0 || linted.exit_code == 4));  // linted, findings or not
    CHECK(linted.out.find("1 file(s)") != std::string::npos);
}

TEST_CASE("the policy gate's emergency hint is an execute that goes past it") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    project.migration("2_drop.up.sql", "DROP TABLE users;\n");

    ToolRun blocked = run_tool(project.args(db, {"execute"}));
    INFO(blocked.all());
    CHECK(blocked.exit_code == 4);
    std::vector<std::string> hinted = hinted_args(hint_of(blocked.err));
    REQUIRE(hinted ==
            std::vector<std::string>{"execute", "--override-policy", "--reason", "\"...\""});
    ToolRun overridden =
        run_tool(project.args(db, filled(hinted, {{"\"...\"", "approved in INC-1"}})));
    INFO(overridden.all());
    CHECK(overridden.exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('users') IS NULL") == "t");
}

TEST_CASE("restore's hints list the catalog they point at") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");

    // No catalog at all: the hint lists the one --backup-dir names.
    ToolRun no_catalog = run_tool(project.args(db, {"restore", "--latest"}));
    INFO(no_catalog.all());
    CHECK(no_catalog.exit_code == 7);
    std::vector<std::string> list_dir = hinted_args(hint_of(no_catalog.err));
    REQUIRE(list_dir == std::vector<std::string>{"backup", "list", "--backup-dir", "DIR"});

    // A catalog without a backup of this database: the hint lists it.
    std::filesystem::create_directories(project.backups());
    ToolRun none = run_tool(project.args(db, {"restore", "--latest"}));
    INFO(none.all());
    CHECK(none.exit_code == 7);
    std::vector<std::string> list = hinted_args(hint_of(none.err));
    REQUIRE(list == std::vector<std::string>{"backup", "list"});
    for (const auto& hinted :
         {project.args(db, list),
          project.args(db, filled(list_dir, {{"DIR", project.backups().string()}}))}) {
        ToolRun listed = run_tool(hinted);
        INFO(listed.all());
        CHECK(listed.exit_code == 0);
        CHECK(listed.out.find("catalog " + project.backups().string()) != std::string::npos);
    }
}

TEST_CASE("a bad snapshot's hint writes one that validate takes") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    std::string snapshot = (project.dir() / "schema.json").string();
    std::ofstream(snapshot) << "{}";

    ToolRun bad = run_tool(project.args(db, {"validate", "--snapshot", snapshot}));
    INFO(bad.all());
    CHECK(bad.exit_code == 3);
    std::vector<std::string> hinted = hinted_args(hint_of(bad.err));
    REQUIRE(hinted == std::vector<std::string>{"schema", "dump", "--out", "FILE"});
    ToolRun dumped = run_tool(project.args(filled(hinted, {{"FILE", snapshot}})));
    INFO(dumped.all());
    CHECK(dumped.exit_code == 0);
    ToolRun validated = run_tool(project.args(db, {"validate", "--snapshot", snapshot}));
    INFO(validated.all());
    CHECK(validated.exit_code == 0);
}

TEST_CASE("rolling back a seed that is not applied hints seed status") {
    TestDatabase db;
    Project project;
    project.write_config("[environments.dev]\n");
    project.migration("1_t.up.sql", "CREATE TABLE t (id int);\n");
    std::filesystem::create_directories(project.migrations() / "seeds" / "dev");
    std::ofstream(project.migrations() / "seeds" / "dev" / "010_a.sql")
        << "INSERT INTO t VALUES (1);\n";
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);

    ToolRun refused =
        run_tool(project.args(db, {"--env", "dev", "seed", "rollback", "--id", "010_a"}));
    INFO(refused.all());
    CHECK(refused.exit_code == 3);
    std::vector<std::string> hinted = hinted_args(hint_of(refused.err));
    REQUIRE(hinted == std::vector<std::string>{"seed", "status"});
    ToolRun status = run_tool(project.args(db, hinted));
    INFO(status.all());
    CHECK(status.exit_code == 10);  // 010_a pending
    CHECK(status.out.find("010_a") != std::string::npos);
}

TEST_CASE("a required endpoint that refuses the deploy hints notify test, which checks it") {
    TestDatabase db;
    HttpReceiver receiver;
    receiver.set_default(ScriptedResponse::with_status(503));
    Project project;
    project.write_config(project.notify_section() +
                         webhook("gate", "generic", receiver.url("/hooks/gate"),
                                 "required = true\nevents = [\"deploy.*\"]\n"));
    project.migration("1_first.up.sql", "CREATE TABLE first (a int);\n");
    ToolRun refused = run_tool(project.args(db, {"execute"}));
    INFO(refused.all());
    CHECK(refused.exit_code == 8);
    std::vector<std::string> hinted = hinted_args(hint_of(refused.err));
    REQUIRE(hinted == std::vector<std::string>{"notify", "test"});

    // The hinted command checks the endpoint: it fails while the endpoint refuses...
    ToolRun down = run_tool(project.args(db, hinted));
    INFO(down.all());
    CHECK(down.exit_code != 0);
    CHECK(down.exit_code != 2);
    CHECK(down.all().find("gate") != std::string::npos);
    // ...and passes once it takes events again.
    receiver.set_default(ScriptedResponse::with_status(200));
    CHECK(run_tool(project.args(db, hinted)).exit_code == 0);
}

}  // namespace hints_test
