// Post-deploy checks ([[execute.checks]]): a failing one undoes the run and is
// named in the error, the events and the notification; command checks run
// without a shell and leak no password; `check` runs them alone; execute
// --verify validates after the run.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sandbox/cluster.hpp"
#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace checks_test {

using namespace sm::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Two migrations: orders, and a first order that 2 is meant to insert (it does not).
void write_orders(const Project& project) {
    project.migration("1_orders.up.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);\n");
    project.migration("1_orders.down.sql", "DROP TABLE orders;\n");
    project.migration("2_orders_total.up.sql", "ALTER TABLE orders ADD COLUMN total bigint;\n");
    project.migration("2_orders_total.down.sql", "ALTER TABLE orders DROP COLUMN total;\n");
}

std::string sql_check(const std::string& name, const std::string& sql) {
    return "[[execute.checks]]\nname = \"" + name + "\"\nsql = \"" + sql + "\"\n";
}

// scripts/<name> in the project, executable.
void write_script(const Project& project, const std::string& name, const std::string& body) {
    fs::create_directories(project.dir() / "scripts");
    fs::path file = project.dir() / "scripts" / name;
    sm::util::write_file_atomic(file, "#!/bin/sh\n" + body, fs::perms::owner_all);
}

std::string events_of(const TestDatabase& db, const std::string& kind) {
    return db.scalar(
        "SELECT coalesce(string_agg(message, ' | ' ORDER BY id), '') FROM "
        "safe_migrate.events WHERE kind = '" +
        kind + "'");
}

}  // namespace

TEST_CASE("a failing post-deploy check rolls the run back and is named everywhere") {
    TestDatabase db;
    HttpReceiver hook;
    Project project;
    write_orders(project);
    project.write_config(
        project.notify_section() + webhook("team", "generic", hook.url("/hook")) + "[execute]\n" +
        sql_check("orders exists", "SELECT to_regclass('public.orders') IS NOT NULL") +
        sql_check("first order present", "SELECT count(*) = 1 FROM public.orders"));

    ToolRun run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Matchers::Contains("safe-migrate: error: post-deploy check 'first "
                                                  "order present' failed: returned false"));
    CHECK_THAT(run.err, Catch::Matchers::Contains("rolled back by down files"));
    // Undone: the schema and the history are back where the run started.
    CHECK(db.scalar("SELECT to_regclass('public.orders') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    // The events name each check; the failure is the run's.
    CHECK(events_of(db, "check.passed") == "post-deploy check 'orders exists' passed");
    CHECK(events_of(db, "check.failed") ==
          "post-deploy check 'first order present' failed: returned false");
    CHECK(events_of(db, "run.failed") == "2 of 2 migration(s) applied before it stopped");
    // The notification carries the check's name in its error.
    const json* failed = nullptr;
    std::vector<json> bodies;
    for (const auto& r : hook.requests()) {
        bodies.push_back(json::parse(r.body));
    }
    for (const auto& b : bodies) {
        failed = b["type"] == "deploy.failed" ? &b : failed;
    }
    REQUIRE(failed != nullptr);
    CHECK((*failed)["data"]["status"] == "failed");
    CHECK((*failed)["data"]["error"]["code"] == "failure");
    CHECK((*failed)["data"]["error"]["message"] ==
          "post-deploy check 'first order present' failed: returned false");
}

TEST_CASE("passing sql and command checks: the run reports them, dry run lists them") {
    TestDatabase db;
    Project project;
    write_orders(project);
    // Run from the project directory with the target in DATABASE_URL, no shell.
    write_script(project, "smoke.sh",
                 "[ \"$(basename \"$PWD\")\" = \"$(basename \"$1\")\" ] || exit 4\n"
                 "[ -n \"$DATABASE_URL\" ] || exit 3\necho smoke ok\n");
    project.write_config("[execute]\n" +
                         sql_check("orders has total",
                                   "SELECT count(*) = 1 FROM "
                                   "information_schema.columns WHERE "
                                   "column_name = 'total'") +
                         "[[execute.checks]]\nname = \"smoke\"\ncommand = [\"./scripts/smoke.sh\", "
                         "\"" +
                         project.dir().string() + "\"]\ntimeout = \"20s\"\n");

    ToolRun dry = run_tool(project.args(db, {"execute", "--dry-run", "--verify"}));
    INFO(dry.all());
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Matchers::Contains(
                            "after the last migration, checks: orders has total, smoke, validate"));
    ToolRun dry_json = run_tool(project.args(db, {"execute", "--dry-run", "--format", "json"}));
    CHECK(json::parse(dry_json.out)["checks"] == json({"orders has total", "smoke"}));

    ToolRun run = run_tool(project.args(db, {"execute", "--format", "json"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    json doc = json::parse(run.out);
    REQUIRE(doc["checks"].size() == 2);
    CHECK(doc["checks"][0]["name"] == "orders has total");
    CHECK(doc["checks"][0]["kind"] == "sql");
    CHECK(doc["checks"][0]["result"] == "passed");
    CHECK(doc["checks"][1]["name"] == "smoke");
    CHECK(doc["checks"][1]["kind"] == "command");
    CHECK(doc["checks"][1]["result"] == "passed");
    CHECK(doc["checks"][1]["duration_ms"].is_number());
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'check.passed'") == "2");
    // Nothing pending: no checks run, none reported.
    ToolRun again = run_tool(project.args(db, {"execute"}));
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("check '") == std::string::npos);
}

TEST_CASE("a failing command check undoes the run and never shows the password") {
    TestDatabase db;
    std::string password = sm::sandbox::read_password(cluster());
    REQUIRE(password.size() > 8);
    Project project;
    write_orders(project);
    write_script(project, "leaky.sh", "echo \"cannot reach $DATABASE_URL\" >&2\nexit 2\n");
    project.write_config(
        "[execute]\n[[execute.checks]]\nname = \"api health\"\ncommand = "
        "[\"./scripts/leaky.sh\"]\n");
    ToolRun run = run_tool(project.args({"execute", "--format", "json"}),
                           {{"DATABASE_URL", db.url_with_password()}});
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.all().find(password) == std::string::npos);
    json doc = json::parse(run.out);
    std::string message = doc["error"]["message"];
    CHECK_THAT(message, Catch::Matchers::StartsWith(
                            "post-deploy check 'api health' failed: exited with code 2: cannot "
                            "reach postgresql://"));
    CHECK_THAT(message, Catch::Matchers::Contains(":***@"));
    CHECK(db.scalar("SELECT to_regclass('public.orders') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE message LIKE '%" + password +
                    "%'") == "0");
    CHECK_THAT(events_of(db, "check.failed"), Catch::Matchers::Contains(":***@"));
}

TEST_CASE("check runs the checks alone: exit 0 when all pass, 1 when one fails") {
    TestDatabase db;
    Project project;
    write_orders(project);
    project.write_config(
        "[execute]\n" +
        sql_check("orders exists", "SELECT to_regclass('public.orders') IS NOT NULL") +
        sql_check("no order without total",
                  "SELECT NOT EXISTS (SELECT 1 FROM orders WHERE total IS NULL)"));
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    std::string events = db.scalar("SELECT count(*) FROM safe_migrate.events");

    ToolRun ok = run_tool(project.args(db, {"check"}));
    INFO(ok.all());
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::Matchers::Contains("  passed  orders exists (sql, "));
    CHECK_THAT(ok.out, Catch::Matchers::Contains("2 check(s): 2 passed, 0 failed"));

    db.query("INSERT INTO orders (id) VALUES (1)");  // an order without a total
    ToolRun bad = run_tool(project.args(db, {"check"}));
    INFO(bad.all());
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.out, Catch::Matchers::Contains("  FAILED  no order without total (sql, "));
    CHECK_THAT(bad.out, Catch::Matchers::Contains("): returned false"));
    ToolRun bad_json = run_tool(project.args(db, {"check", "--format", "json"}));
    CHECK(bad_json.exit_code == 1);
    json doc = json::parse(bad_json.out);
    CHECK(doc["result"] == "failure");
    CHECK(doc["exit_code"] == 1);
    REQUIRE(doc["checks"].size() == 2);
    CHECK(doc["checks"][0]["result"] == "passed");
    CHECK(doc["checks"][1]["name"] == "no order without total");
    CHECK(doc["checks"][1]["result"] == "failed");
    CHECK(doc["checks"][1]["detail"] == "returned false");
    CHECK(doc["checks"][1]["duration_ms"].is_number());
    // A check observes: it runs read-only and records nothing.
    project.write_config("[execute]\n" + sql_check("writes",
                                                   "INSERT INTO orders VALUES (2) "
                                                   "RETURNING true"));
    ToolRun writes = run_tool(project.args(db, {"check", "--format", "json"}));
    CHECK(writes.exit_code == 1);
    CHECK_THAT(json::parse(writes.out)["checks"][0]["detail"].get<std::string>(),
               Catch::Matchers::Contains("read-only transaction (SQLSTATE 25006)"));
    CHECK(db.scalar("SELECT count(*) FROM orders") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events") == events);
}

TEST_CASE("execute --verify undoes a run whose migration built what validate flags") {
    Project project;
    project.migration("1_accounts.up.sql",
                      "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n");
    project.migration("1_accounts.down.sql", "DROP TABLE accounts;\n");
    // Data-dependent DDL: the index exists only where the table already had rows.
    project.migration("2_accounts_email.up.sql",
                      "DO $$\nBEGIN\n  IF (SELECT count(*) FROM accounts) >= 3 THEN\n"
                      "    CREATE INDEX accounts_email_idx ON accounts (email);\n  END IF;\n"
                      "END $$;\n");
    project.migration("2_accounts_email.down.sql", "DROP INDEX IF EXISTS accounts_email_idx;\n");
    project.write_config("[execute]\n");

    // A clean deploy: the live schema is what the migrations build.
    TestDatabase clean;
    ToolRun passed = run_tool(project.args(clean, {"execute", "--verify", "--format", "json"}));
    INFO(passed.all());
    REQUIRE(passed.exit_code == 0);
    json doc = json::parse(passed.out);
    REQUIRE(doc["checks"].size() == 1);
    CHECK(doc["checks"][0]["name"] == "validate");
    CHECK(doc["checks"][0]["result"] == "passed");

    // A target with data: migration 2 builds an index no migration declares.
    TestDatabase db;
    REQUIRE(run_tool(project.args(db, {"execute", "--target", "1"})).exit_code == 0);
    db.query("INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x'), (3, 'c@x')");
    ToolRun drift = run_tool(project.args(db, {"execute", "--verify"}));
    INFO(drift.all());
    CHECK(drift.exit_code == 11);
    CHECK_THAT(drift.err, Catch::Matchers::Contains(
                              "safe-migrate: error: post-deploy check 'validate' failed: the live "
                              "schema differs from the migrations: index "
                              "public.accounts_email_idx exists in the database but in no "
                              "migration"));
    CHECK(db.scalar("SELECT to_regclass('public.accounts_email_idx') IS NULL") == "t");
    CHECK(db.scalar("SELECT string_agg(version, ',') FROM safe_migrate.history") == "1");
    CHECK_THAT(events_of(db, "check.failed"),
               Catch::Matchers::StartsWith("post-deploy check 'validate' failed: "));
    // Without --verify the same run goes through.
    CHECK(run_tool(project.args(db, {"execute"})).exit_code == 0);
}

}  // namespace checks_test
