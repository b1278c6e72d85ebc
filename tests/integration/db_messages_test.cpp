// What the operator reads when PostgreSQL or libpq says no: the server's
// DETAIL, HINT and CONTEXT lines, a hint that fits the connection failure,
// invalid settings as invalid input (exit 3), and progress of backups and
// restores counted in finished tables.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace db_messages_test {

using namespace sm::test;
using nlohmann::json;

namespace {

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("db messages: a duplicate key names the key, in text and in JSON") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_t.up.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
    project.migration("2_dup.up.sql", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\n");
    auto text = run_tool(project.args(db, {"execute"}));
    INFO(text.all());
    CHECK(text.exit_code == 1);
    CHECK(has(text.err, "duplicate key value violates unique constraint \"t_pkey\""));
    CHECK(has(text.err, "\n  DETAIL: Key (id)=(1) already exists."));

    auto as_json = run_tool(project.args(db, {"execute", "--format", "json"}));
    INFO(as_json.all());
    json doc = json::parse(as_json.out);
    std::string message = doc["error"]["message"].get<std::string>();
    CHECK(has(message, "DETAIL: Key (id)=(1) already exists."));
}

TEST_CASE("db messages: a failed check names the failing row, a function error its context") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_t.up.sql", "CREATE TABLE t (n int CHECK (n > 0));\n");
    project.migration("2_bad.up.sql", "INSERT INTO t VALUES (-7);\n");
    auto run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(has(run.err, "DETAIL: Failing row contains (-7)."));

    project.migration("2_bad.up.sql",
                      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n"
                      "BEGIN RAISE EXCEPTION 'stop here' USING HINT = 'try again'; END $$;\n"
                      "SELECT f();\n");
    auto fn = run_tool(project.args(db, {"execute"}));
    INFO(fn.all());
    CHECK(fn.exit_code == 1);
    CHECK(has(fn.err, "stop here"));
    CHECK(has(fn.err, "\n  HINT: try again"));
    CHECK(has(fn.err, "\n  CONTEXT: PL/pgSQL function f() line 2 at RAISE"));
}

TEST_CASE("db messages: connection failures get a hint that fits them") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");  // status needs one
    SECTION("refused") {
        auto run =
            run_tool(project.args({"--database-url", "postgresql://u@127.0.0.1:1/x", "status"}));
        INFO(run.all());
        CHECK(run.exit_code == 5);
        CHECK(has(run.err, "hint: Nothing accepts connections at that host and port"));
        CHECK_FALSE(has(run.err, "PgBouncer"));
        CHECK_FALSE(has(run.err, "\n\n"));
        auto as_json = run_tool(project.args(
            {"--database-url", "postgresql://u@127.0.0.1:1/x", "status", "--format", "json"}));
        INFO(as_json.all());
        json doc = json::parse(as_json.out);
        CHECK_FALSE(has(doc["error"]["message"].get<std::string>(), "\n"));
    }
    SECTION("unknown host") {
        auto run = run_tool(project.args(
            {"--database-url", "postgresql://u@no-such-host.invalid:5432/x", "status"}));
        INFO(run.all());
        CHECK(run.exit_code == 5);
        CHECK(has(run.err, "hint: The host name does not resolve"));
    }
    SECTION("authentication") {
        std::string url = db.url();
        // The suite's cluster trusts local users; a role that does not exist is refused.
        auto at = url.find("://");
        auto user_end = url.find_first_of(":@", at + 3);
        std::string bad = url.substr(0, at + 3) + "sm_no_such_role" + url.substr(user_end);
        auto run = run_tool(project.args({"--database-url", bad, "status"}));
        INFO(run.all());
        CHECK(run.exit_code == 5);
        CHECK(has(run.err, "hint: The server refused the credentials"));
    }
    SECTION("invalid settings are invalid input") {
        for (const std::string& url :
             {db.url() + (has(db.url(), "?") ? "&" : "?") + "sslmode=bogus",
              std::string("host=127.0.0.1 port=abc dbname=x")}) {
            auto run = run_tool(project.args({"--database-url", url, "status"}));
            INFO(run.all());
            CHECK(run.exit_code == 3);
        }
    }
}

TEST_CASE("db messages: backup and restore progress counts finished tables and bytes") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    project.migration("1_t.up.sql",
                      "CREATE TABLE a (id int);\nINSERT INTO a SELECT generate_series(1, 5000);\n"
                      "CREATE TABLE b (id int);\nINSERT INTO b SELECT generate_series(1, 100);\n"
                      "ANALYZE a;\nANALYZE b;\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    auto backup = run_tool(project.args(db, {"backup", "create"}));
    INFO(backup.all());
    REQUIRE(backup.exit_code == 0);
    CHECK(has(backup.err, "(public.a done)"));
    CHECK(has(backup.err, "(public.b done)"));
    CHECK(has(backup.err, " of ~"));
    db.disconnect();
    auto restore = run_tool(project.args(db, {"restore", "--latest", "--confirm", db.name()}));
    INFO(restore.all());
    REQUIRE(restore.exit_code == 0);
    CHECK(has(restore.err, "(public.a done)"));
    CHECK(has(restore.err, "restoring: 1/"));
    CHECK(has(restore.err, "restoring: done ("));
}

TEST_CASE("db messages: a dump that waits prints a heartbeat off a terminal") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section() + "heartbeat = \"1s\"\n");
    project.migration("1_t.up.sql", "CREATE TABLE a (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    // pg_dump waits for this lock for about three seconds, printing nothing.
    auto holder = db.connect("sm-test-holder");
    holder->exec("BEGIN");
    holder->exec("LOCK TABLE a IN ACCESS EXCLUSIVE MODE");
    std::thread release([&holder] {
        std::this_thread::sleep_for(std::chrono::milliseconds(3500));
        holder->exec("COMMIT");
    });
    auto backup = run_tool(project.args(db, {"backup", "create"}));
    release.join();
    INFO(backup.all());
    CHECK(backup.exit_code == 0);
    CHECK(has(backup.err, "dumping: 0/"));
    CHECK(has(backup.err, ", still running after "));
}

}  // namespace db_messages_test
