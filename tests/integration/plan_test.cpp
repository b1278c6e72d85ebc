// plan: the reviewed artifact, and execute --plan refusing every difference.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sandbox/cluster.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace plan_test {

using namespace sm::test;

namespace {

struct Project {
    TestDatabase db;
    MigrationDir dir;
    std::string plan_file = (dir.path() / "plan.json").string();
    std::map<std::string, std::string> env() const { return {{"DATABASE_URL", db.url()}}; }
    ToolRun run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, env());
    }
};

}  // namespace

TEST_CASE("plan shows locks and table sizes, and execute --plan applies exactly the plan") {
    Project p;
    p.dir.write("1_orders.up.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n");
    REQUIRE(p.run({"execute"}).exit_code == 0);
    p.db.query("INSERT INTO orders SELECT g, 'x' FROM generate_series(1, 20000) g; ANALYZE orders");
    p.dir.write("2_shipped.up.sql", "ALTER TABLE orders ADD COLUMN shipped_at timestamptz;\n");
    p.dir.write("3_idx.up.sql",
                "-- safe-migrate: no-transaction\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);\n");

    auto plan = p.run({"plan", "--out", p.plan_file});
    INFO(plan.all());
    REQUIRE(plan.exit_code == 0);
    CHECK(plan.out.find("2_shipped  [one transaction") != std::string::npos);
    CHECK(plan.out.find("3_idx  [no transaction, statement by statement") != std::string::npos);
    CHECK(plan.out.find("AE   ALTER TABLE orders ADD COLUMN shipped_at timestamptz") !=
          std::string::npos);
    CHECK(plan.out.find("SUE  CREATE INDEX CONCURRENTLY") != std::string::npos);
    CHECK(plan.out.find("on public.orders (~20000 rows,") != std::string::npos);
    CHECK(plan.out.find("verdict: allowed") != std::string::npos);

    std::ifstream in(p.plan_file);
    auto artifact = nlohmann::json::parse(in);
    CHECK(artifact["format"] == "safe-migrate-plan/1");
    CHECK(artifact["head"] == 1);
    CHECK(artifact["target"]["database"] == p.db.name());
    CHECK(artifact["target"]["system_identifier"].get<std::string>().size() > 5);
    CHECK(artifact["migrations"].size() == 2);
    CHECK(artifact["migrations"][0]["checksum"].get<std::string>().size() == 64);
    CHECK(artifact["settings"]["lock_timeout_ms"] == 3000);
    CHECK(artifact["verdict"] == "allowed");
    CHECK(artifact["hash"].get<std::string>().size() == 64);

    // A migration added after the plan is not applied by it.
    p.dir.write("4_later.up.sql", "CREATE TABLE later (a int);\n");
    auto run = p.run({"execute", "--plan", p.plan_file});
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(p.db.scalar(
              "SELECT string_agg(version::text, ',' ORDER BY version) FROM safe_migrate.history") ==
          "1,2,3");
    CHECK(p.db.scalar("SELECT to_regclass('later') IS NULL") == "t");
}

TEST_CASE("execute --plan refuses when the files, the head, the target or the settings changed") {
    Project p;
    p.dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    REQUIRE(p.run({"plan", "--out", p.plan_file}).exit_code == 0);

    SECTION("a planned file changed") {
        p.dir.write("2_b.up.sql", "CREATE TABLE b (x bigint);\n");
        auto r = p.run({"execute", "--plan", p.plan_file});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("migration 2_b: file changed since the plan") != std::string::npos);
        CHECK(r.err.find("Nothing was applied") != std::string::npos);
    }
    SECTION("the head moved") {
        REQUIRE(p.run({"execute", "--target", "1"}).exit_code == 0);
        auto r = p.run({"execute", "--plan", p.plan_file});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("head: planned at empty, the database is now at 1") != std::string::npos);
    }
    SECTION("another database") {
        TestDatabase other;
        auto r =
            run_tool({"--migrations-dir", p.dir.path().string(), "execute", "--plan", p.plan_file},
                     {{"DATABASE_URL", other.url()}});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("target: planned for database " + p.db.name() + ", this is " +
                         other.name()) != std::string::npos);
    }
    SECTION("the settings") {
        auto r = p.run({"execute", "--plan", p.plan_file, "--lock-timeout", "9s"});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("setting lock_timeout_ms: planned 3000, now 9000") != std::string::npos);
    }
    SECTION("the artifact was edited") {
        std::ifstream in(p.plan_file);
        auto artifact = nlohmann::json::parse(in);
        artifact["settings"]["lock_retries"] = 50;
        std::ofstream(p.plan_file) << artifact.dump(2);
        auto r = p.run({"execute", "--plan", p.plan_file});
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("was modified after it was written") != std::string::npos);
        // The hint's command works: it writes a new plan that execute would take.
        std::string hint = r.err.substr(r.err.find("hint: "));
        std::vector<std::string> again = hinted_args(hint.substr(0, hint.find('\n')));
        REQUIRE(again == std::vector<std::string>{"plan", "--out", p.plan_file});
        REQUIRE(p.run(again).exit_code == 0);
        CHECK(p.run({"execute", "--plan", p.plan_file, "--dry-run"}).exit_code == 0);
    }
    CHECK(p.db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'b'") == "0");
}

TEST_CASE("a retried execute --plan of a plan already applied exits 0 and says so") {
    Project p;
    p.dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    REQUIRE(p.run({"plan", "--out", p.plan_file}).exit_code == 0);
    REQUIRE(p.run({"execute", "--plan", p.plan_file}).exit_code == 0);

    // The pipeline retries the same step: the database is at the plan's end.
    auto again = p.run({"execute", "--plan", p.plan_file});
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("the plan is already applied; head is 2") != std::string::npos);
    auto json = p.run({"execute", "--plan", p.plan_file, "--format", "json"});
    REQUIRE(json.exit_code == 0);
    auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["plan_already_applied"] == true);
    CHECK(doc["applied"].empty());
    CHECK(p.db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");

    SECTION("past the plan's end is still a difference") {
        p.dir.write("3_c.up.sql", "CREATE TABLE c (x int);\n");
        REQUIRE(p.run({"execute"}).exit_code == 0);
        auto r = p.run({"execute", "--plan", p.plan_file});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("head: planned at empty, the database is now at 3") != std::string::npos);
    }
    SECTION("an applied file changed since is drift, as without a plan") {
        p.dir.write("2_b.up.sql", "CREATE TABLE b (x bigint);\n");
        auto r = p.run({"execute", "--plan", p.plan_file});
        CHECK(r.exit_code == 11);
        CHECK(r.err.find("2_b: file changed after it was applied") != std::string::npos);
    }
}

TEST_CASE("execute --target with no such version exits 3 naming the nearest versions") {
    Project p;
    p.dir.write("10_a.up.sql", "CREATE TABLE a (x int);\n");
    p.dir.write("20_b.up.sql", "CREATE TABLE b (x int);\n");
    auto r = p.run({"execute", "--target", "15"});
    INFO(r.all());
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("--target 15: no migration has this version; the nearest: 10_a, 20_b") !=
          std::string::npos);
    CHECK(p.db.scalar("SELECT to_regclass('a') IS NULL") == "t");
    // The hint's command works.
    CHECK(p.run({"status"}).exit_code == 10);
    CHECK(p.run({"execute", "--target", "10"}).exit_code == 0);
    CHECK(p.run({"execute", "--target", "99"}).exit_code == 3);
}

TEST_CASE("a plan blocked by policy exits 4 and cannot be executed") {
    Project p;
    p.dir.write("1_t.up.sql", "CREATE TABLE t (id int, amount int);\n");
    REQUIRE(p.run({"execute"}).exit_code == 0);
    // Above the default small_table_bytes (10 MiB): below it the rewrite is a warning.
    p.db.query("INSERT INTO t SELECT g, g FROM generate_series(1, 400000) g");
    REQUIRE(std::stoll(p.db.scalar("SELECT pg_total_relation_size('t')")) > 10485760);
    p.dir.write("2_type.up.sql", "ALTER TABLE t ALTER COLUMN amount TYPE bigint;\n");
    auto plan = p.run({"plan", "--out", p.plan_file});
    INFO(plan.all());
    CHECK(plan.exit_code == 4);
    CHECK(plan.out.find("error[changing-column-type]") != std::string::npos);
    CHECK(plan.out.find("AE   ALTER TABLE t ALTER COLUMN amount TYPE bigint REWRITE") !=
          std::string::npos);
    CHECK(plan.out.find("verdict: BLOCKED") != std::string::npos);
    auto run = p.run({"execute", "--plan", p.plan_file});
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("was blocked by policy; it cannot be executed") != std::string::npos);
    CHECK(p.db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

TEST_CASE("on a small existing table a rewrite is a warning that says so, a drop stays an error") {
    Project p;
    p.dir.write("1_t.up.sql", "CREATE TABLE t (id int, amount int, legacy text);\n");
    REQUIRE(p.run({"execute"}).exit_code == 0);
    p.db.query("INSERT INTO t SELECT g, g FROM generate_series(1, 100) g");
    p.dir.write("2_type.up.sql", "ALTER TABLE t ALTER COLUMN amount TYPE bigint;\n");
    auto plan = p.run({"plan"});
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    CHECK(plan.out.find("warning[changing-column-type]") != std::string::npos);
    CHECK(plan.out.find("under small_table_bytes 10.0 MB") != std::string::npos);
    p.dir.write("3_drop.up.sql", "ALTER TABLE t DROP COLUMN legacy;\n");
    auto blocked = p.run({"plan"});
    INFO(blocked.all());
    CHECK(blocked.exit_code == 4);
    CHECK(blocked.out.find("error[ban-drop-column]") != std::string::npos);
}

TEST_CASE("a plan never contains the password") {
    Project p;
    p.dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    std::string password = sm::sandbox::read_password(cluster());
    auto r = run_tool({"--migrations-dir", p.dir.path().string(), "plan", "--format", "json",
                       "--out", p.plan_file},
                      {{"DATABASE_URL", p.db.url_with_password()}});
    REQUIRE(r.exit_code == 0);
    CHECK(r.all().find(password) == std::string::npos);
    std::ifstream in(p.plan_file);
    std::string artifact((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(artifact.find(password) == std::string::npos);
    CHECK(artifact.find("\"database\": \"" + p.db.name() + "\"") != std::string::npos);
}

}  // namespace plan_test
