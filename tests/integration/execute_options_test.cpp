// execute's run options beyond the happy path: --dry-run changes nothing and
// says by its exit code whether the run would proceed; --max-duration stops a
// run between migrations and rolls it back; a partly applied no-transaction
// migration is undone by its down file; a rollback that cannot reach the
// starting version says what a person must do and undoes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace execute_options_test {

using namespace sm::test;
using nlohmann::json;

namespace {

ToolRun execute(const TestDatabase& db, const MigrationDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--migrations-dir", dir.path().string(), "execute"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args, {{"DATABASE_URL", db.url()}});
}

std::string events(const TestDatabase& db) {
    std::string out;
    for (const auto& row : db.query("SELECT kind FROM safe_migrate.events ORDER BY id").rows) {
        out += row[0].value_or("") + " ";
    }
    return out;
}

}  // namespace

TEST_CASE("execute --dry-run plans and preflights but changes nothing") {
    TestDatabase db;
    db.query("CREATE TABLE accounts (id int)");
    MigrationDir dir;
    dir.write("1_note.up.sql", "ALTER TABLE accounts ADD COLUMN note text;\n");

    SECTION("a run that would proceed exits 0 and leaves no trace") {
        auto run = execute(db, dir, {"--dry-run"});
        INFO(run.all());
        REQUIRE(run.exit_code == 0);
        CHECK(run.out.find("ALTER TABLE accounts ADD COLUMN note text") != std::string::npos);
        CHECK(run.out.find("the run would proceed: 1 migration(s)") != std::string::npos);
        CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'safe_migrate'") == "0");
        CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = "
                        "'note'") == "0");
    }
    SECTION("a blocker makes it exit 6 at once, naming it, in text and JSON") {
        auto blocker = db.connect("dry-blocker");
        blocker->exec("BEGIN");
        blocker->exec("SELECT * FROM accounts");
        std::string pid = blocker->exec("SELECT pg_backend_pid()").scalar().value_or("");
        auto run = execute(db, dir, {"--dry-run", "--wait-for-blockers", "30s"});
        INFO(run.all());
        CHECK(run.exit_code == 6);
        CHECK(run.out.find("pid " + pid) != std::string::npos);
        CHECK(run.out.find("would not proceed (exit 6, lock_busy)") != std::string::npos);
        auto as_json = run_tool({"--migrations-dir", dir.path().string(), "execute", "--dry-run",
                                 "--backup", "--format", "json"},
                                {{"DATABASE_URL", db.url()}});
        INFO(as_json.all());
        CHECK(as_json.exit_code == 6);
        json out = json::parse(as_json.out);
        CHECK(out["would_proceed"] == false);
        CHECK(out["preflight"]["blockers"].size() == 1);
        CHECK(out["backup"]["required"] == true);
        CHECK(out["plan"]["migrations"].size() == 1);
        blocker->exec("ROLLBACK");
    }
    SECTION("a plan the policy blocks exits 4") {
        dir.write("2_drop.up.sql", "DROP TABLE accounts;\n");
        auto run = execute(db, dir, {"--dry-run"});
        INFO(run.all());
        CHECK(run.exit_code == 4);
        CHECK(run.out.find("blocked by policy") != std::string::npos);
        CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'accounts'") == "1");
    }
}

TEST_CASE("execute --max-duration stops the run between migrations and rolls it back") {
    TestDatabase db;
    MigrationDir dir;
    for (int i = 1; i <= 4; ++i) {
        std::string n = std::to_string(i);
        std::string stem = n + "_t";
        stem += n;
        // 1 is quick, so that it ends before the limit however slow the run's
        // start (connections, the gate) is on a loaded machine; the others sleep.
        dir.write(stem + ".up.sql", "CREATE TABLE t" + n + " (id int);\n" +
                                        std::string(i == 1 ? "" : "SELECT pg_sleep(1);\n"));
        dir.write(stem + ".down.sql", "DROP TABLE t" + n + ";\n");
    }
    auto run = execute(db, dir, {"--max-duration", "1500ms"});
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("exceeded its time limit") != std::string::npos);
    // The limit is checked between migrations: 1 (and, on a slow machine, 2)
    // ran before it, and 4 never started.
    CHECK(run.err.find("rolled back by down files: ") != std::string::npos);
    CHECK(run.err.find("1_t1; the database is at version empty") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 't_'") == "0");
    CHECK(events(db).find("run.failed rollback.started migration.rolled_back ") !=
          std::string::npos);
    CHECK(events(db).find("rollback.finished") != std::string::npos);
}

TEST_CASE("a no-transaction migration that failed midway is undone by its down file") {
    TestDatabase db;
    db.query("CREATE TABLE orders (id int, customer int)");
    MigrationDir dir;
    dir.write("1_flag.up.sql", "ALTER TABLE orders ADD COLUMN flag bool;\n");
    dir.write("1_flag.down.sql", "ALTER TABLE orders DROP COLUMN flag;\n");
    dir.write("2_index.up.sql",
              "-- safe-migrate: no-transaction\n"
              "CREATE INDEX CONCURRENTLY orders_customer ON orders (customer);\n"
              "SELECT 1/0;\n");
    dir.write(
        "2_index.down.sql",
        "-- safe-migrate: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_customer;\n");
    auto run = execute(db, dir, {});
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("rolled back by down files: 2_index, 1_flag") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.progress") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = "
                    "'flag'") == "0");
    auto status =
        run_tool({"--migrations-dir", dir.path().string(), "status"}, {{"DATABASE_URL", db.url()}});
    CHECK(status.exit_code == 10);  // both pending again, nothing drifted
}

TEST_CASE("a rollback that cannot reach the starting version undoes nothing and says so") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (id int);\n");
    dir.write("1_a.down.sql", "DROP TABLE a;\n");
    dir.write("2_b.up.sql", "CREATE TABLE b (id int);\n");  // no down file
    dir.write("3_c.up.sql", "SELECT 1/0;\n");
    auto run = execute(db, dir, {});
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("not rolled back: no down file for 2_b") != std::string::npos);
    CHECK(run.err.find("runbooks/failed-deployment.md") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                    "safe_migrate.history") == "1,2");
    CHECK(events(db).find("rollback.incomplete") != std::string::npos);

    SECTION("on-failure restore needs a backup, said before anything connects") {
        auto refused = execute(db, dir, {"--on-failure", "restore"});
        CHECK(refused.exit_code == 2);
        CHECK(refused.err.find("needs a pre-deploy backup") != std::string::npos);
    }
}

}  // namespace execute_options_test
