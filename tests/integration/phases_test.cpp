// Phases of online changes: execute stops before contract migrations unless
// asked (--through), and a contract migration waits for its change's backfill
// and for the old application version to disconnect.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace phases_test {

using namespace sm::test;

namespace {

// expand (1), backfill (2) and contract (3) of change 'email'.
void email_change(const Project& p) {
    p.migration("1_add_email.up.sql",
                "-- safe-migrate: phase=expand\n-- safe-migrate: change=email\n"
                "ALTER TABLE users ADD COLUMN email_lower text;\n");
    p.migration("2_fill_email.up.sql",
                "-- safe-migrate: phase=backfill\n-- safe-migrate: change=email\n"
                "UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;\n");
    p.migration("3_drop_email.up.sql",
                "-- safe-migrate: phase=contract\n-- safe-migrate: change=email\n"
                "-- safe-migrate: allow ban-drop-column reason=\"contract of change email\"\n"
                "ALTER TABLE users DROP COLUMN email;\n");
}

}  // namespace

TEST_CASE("plain execute stops before the contract phase and --through contract applies it") {
    TestDatabase db;
    db.query("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
    db.query(
        "INSERT INTO users SELECT g, 'User' || g || '@Example.com' FROM generate_series(1, 50) g");
    Project p;
    p.write_config("");
    email_change(p);

    auto dry = run_tool(p.args(db, {"execute", "--dry-run", "--format", "json"}));
    INFO(dry.all());
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.find("\"held\": [\n    \"3_drop_email (contract)\"") != std::string::npos);

    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("applied 2 migration(s)") != std::string::npos);
    CHECK(run.out.find("left for a later phase: 3_drop_email (contract); apply with: "
                       "safe-migrate execute --through contract") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email_lower = lower(email)") == "50");

    auto status = run_tool(p.args(db, {"status"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);

    // The hinted command finishes the change.
    std::string left = run.out.substr(run.out.find("left for a later phase"));
    auto contract = run_tool(p.args(db, hinted_args(left.substr(0, left.find('\n')))));
    INFO(contract.all());
    REQUIRE(contract.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' "
                    "AND column_name = 'email'") == "0");
    CHECK(run_tool(p.args(db, {"status"})).exit_code == 0);
}

TEST_CASE("execute --through expand stops before the first backfill and says so in JSON") {
    TestDatabase db;
    db.query("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
    Project p;
    p.write_config("");
    email_change(p);
    auto run = run_tool(p.args(db, {"execute", "--through", "expand", "--format", "json"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("\"result\": \"ok\"") != std::string::npos);
    CHECK(run.out.find("\"2_fill_email (backfill)\",\n    \"3_drop_email (contract)\"") !=
          std::string::npos);
    CHECK(db.scalar("SELECT max(version) FROM safe_migrate.history") == "1");
}

TEST_CASE("a contract migration is refused while the backfill of its change is unfinished") {
    TestDatabase db;
    db.query("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
    Project p;
    p.write_config("");
    p.migration("1_add_email.up.sql",
                "-- safe-migrate: change=email\nALTER TABLE users ADD COLUMN email_lower text;\n");
    // Numbered before its backfill: the backfill cannot have run when it would.
    p.migration("2_drop_email.up.sql",
                "-- safe-migrate: phase=contract\n-- safe-migrate: change=email\n"
                "-- safe-migrate: allow ban-drop-column reason=\"contract of change email\"\n"
                "ALTER TABLE users DROP COLUMN email;\n");
    p.migration("3_fill_email.up.sql",
                "-- safe-migrate: phase=backfill\n-- safe-migrate: change=email\n"
                "UPDATE users SET email_lower = lower(email);\n");
    const std::string reason =
        "contract migration 2_drop_email waits for the backfill of change "
        "'email': 3_fill_email is unfinished";

    auto dry = run_tool(p.args(db, {"execute", "--through", "contract", "--dry-run"}));
    INFO(dry.all());
    CHECK(dry.exit_code == 4);
    CHECK(dry.all().find("would stop: " + reason) != std::string::npos);

    auto run = run_tool(p.args(db, {"execute", "--through", "contract"}));
    INFO(run.all());
    CHECK(run.exit_code == 4);
    CHECK(run.err.find(reason + "; nothing was applied") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'phase.refused'") ==
          "1");
}

TEST_CASE("a contract migration is refused while the old application is connected") {
    TestDatabase db;
    db.query("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
    Project p;
    p.write_config("[execute]\nold_app_pattern = '^shop-v1'\n");
    email_change(p);
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);

    auto old_app = db.connect("shop-v1.4");
    int pid = old_app->backend_pid();
    auto refused = run_tool(p.args(db, {"execute", "--through", "contract"}));
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK(refused.err.find("contract migration 3_drop_email waits for the old application to "
                           "disconnect: 1 session(s) match old_app_pattern '^shop-v1': pid " +
                           std::to_string(pid)) != std::string::npos);
    CHECK(refused.err.find("application 'shop-v1.4'") != std::string::npos);
    auto dry = run_tool(p.args(db, {"execute", "--through", "contract", "--dry-run"}));
    CHECK(dry.exit_code == 4);

    old_app.reset();
    auto run = run_tool(p.args(db, {"execute", "--through", "contract"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
}

TEST_CASE("a contract step is refused at its turn when the old application connected meanwhile") {
    TestDatabase db;
    db.query("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
    db.query("INSERT INTO users SELECT g, 'U' || g || '@X.com' FROM generate_series(1, 500) g");
    // The backfill waits on check_sql until the test lets it go on: the old
    // application connects while it runs, after the run's first phase gate.
    db.query("CREATE TABLE hold (x int); INSERT INTO hold VALUES (1)");
    Project p;
    p.write_config(
        "[execute]\nold_app_pattern = '^shop-v1'\n[backfill]\npause_poll = \"100ms\"\n"
        "check_sql = \"SELECT NOT EXISTS (SELECT 1 FROM hold)\"\n");
    email_change(p);
    auto child = start_tool(p.args(db, {"execute", "--through", "contract"}));
    auto paused = [&] {
        return db.scalar(
                   "SELECT count(*) FROM pg_tables WHERE schemaname = 'safe_migrate' AND "
                   "tablename = 'backfill'") == "1" &&
               db.scalar("SELECT count(*) FROM safe_migrate.backfill WHERE state = 'paused'") ==
                   "1";
    };
    for (int i = 0; i < 300 && !paused(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(paused());
    auto old_app = db.connect("shop-v1.7");
    int pid = old_app->backend_pid();
    db.query("DELETE FROM hold");
    auto refused = to_run(child->wait());
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK(refused.err.find("contract migration 3_drop_email waits for the old application to "
                           "disconnect: 1 session(s) match old_app_pattern '^shop-v1': pid " +
                           std::to_string(pid)) != std::string::npos);
    CHECK(refused.err.find("2 migration(s) of this run stay applied") != std::string::npos);
    CHECK(refused.err.find("hint: Stop the old application version") != std::string::npos);
    // The expand and the backfill stay; the contract did not run.
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM "
                    "safe_migrate.history") == "1,2");
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email_lower = lower(email)") == "500");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'phase.refused'") ==
          "1");

    old_app.reset();
    auto run = run_tool(p.args(db, {"execute", "--through", "contract"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' "
                    "AND column_name = 'email'") == "0");
}

TEST_CASE("an unknown phase is an error naming the file and line") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "-- safe-migrate: phase=cleanup\nSELECT 1;\n");
    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("1_a.up.sql:1: directive phase: unknown phase 'cleanup' (known: expand, "
                       "backfill, contract)") != std::string::npos);
}

}  // namespace phases_test
