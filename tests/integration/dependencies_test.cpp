// Dependencies between migrations (-- safe-migrate: requires=) and rollback --only,
// against the sandbox.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace dependencies_test {

using namespace sm::test;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_CASE("requires: a requirement applied earlier in the same run, shown by lint and plan") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("2_b.up.sql", "-- safe-migrate: requires=1\nCREATE TABLE b (x int);\n");
    p.migration("3_c.up.sql", "-- safe-migrate: requires=1_a,2\nCREATE TABLE c (x int);\n");

    auto lint = run_tool(p.args({"lint", p.migrations().string()}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
    CHECK(has(lint.out, "2_b.up.sql requires 1\n"));
    CHECK(has(lint.out, "3_c.up.sql requires 1_a, 2\n"));
    auto lint_json = run_tool(p.args({"lint", p.migrations().string(), "--format", "json"}));
    auto lj = nlohmann::json::parse(lint_json.out);
    CHECK(lj.at("requires").size() == 2);

    auto plan = run_tool(p.args(db, {"plan"}));
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    CHECK(has(plan.out, "]\n  requires 1\n"));
    CHECK(has(plan.out, "]\n  requires 1_a, 2\n"));
    auto plan_json = nlohmann::json::parse(run_tool(p.args(db, {"plan", "--format", "json"})).out);
    CHECK(plan_json.dump().find(R"("requires":["1_a","2"])") != std::string::npos);

    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
}

TEST_CASE("requires: a requirement later in the run stops execute, its dry run and plan alike") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("2_b.up.sql", "-- safe-migrate: requires=3\nCREATE TABLE b (x int);\n");
    p.migration("3_c.up.sql", "CREATE TABLE c (x int);\n");
    const std::string unmet =
        "migrations whose requirements this run does not meet:\n"
        "  2_b requires 3_c, which is neither applied nor applied earlier in this run";

    auto dry = run_tool(p.args(db, {"execute", "--dry-run"}));
    auto plan = run_tool(p.args(db, {"plan"}));
    auto run = run_tool(p.args(db, {"execute"}));
    INFO(dry.all() << run.all() << plan.all());
    CHECK(dry.exit_code == 3);
    CHECK(run.exit_code == 3);
    CHECK(plan.exit_code == 3);
    CHECK(has(dry.err, unmet));
    CHECK(has(run.err, unmet));
    CHECK(has(plan.err, unmet));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT to_regclass('a') IS NULL") == "t");
}

TEST_CASE("requires: an unknown requirement or a cycle is an error naming the files") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("2_b.up.sql", "-- safe-migrate: requires=7\nCREATE TABLE b (x int);\n");

    auto unknown = run_tool(p.args(db, {"execute"}));
    INFO(unknown.all());
    CHECK(unknown.exit_code == 3);
    CHECK(has(unknown.err, (p.migrations() / "2_b.up.sql").string() +
                               ":1: requires 7: no migration has this version or id"));
    auto dry = run_tool(p.args(db, {"execute", "--dry-run"}));
    CHECK(dry.exit_code == 3);
    CHECK(has(dry.err, "requires 7: no migration has this version or id"));

    p.migration("2_b.up.sql", "-- safe-migrate: requires=3_c\nCREATE TABLE b (x int);\n");
    p.migration("3_c.up.sql", "-- safe-migrate: requires=2\nCREATE TABLE c (x int);\n");
    auto cycle = run_tool(p.args(db, {"execute"}));
    INFO(cycle.all());
    CHECK(cycle.exit_code == 3);
    CHECK(has(cycle.err, (p.migrations() / "2_b.up.sql").string() +
                             ":1: requires cycle: 2_b.up.sql requires 3_c.up.sql requires "
                             "2_b.up.sql"));
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
}

TEST_CASE(
    "requires: by-dependency applies an older migration, records the order, guards rollback") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("1_a.down.sql", "DROP TABLE a;\n");
    p.migration("3_c.up.sql", "CREATE TABLE c (x int);\n");
    p.migration("3_c.down.sql", "DROP TABLE c;\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    // A branch merged 2 after 3 was applied; it needs 3.
    p.migration("2_b.up.sql", "-- safe-migrate: requires=3\nCREATE TABLE b (x int);\n");
    p.migration("2_b.down.sql", "DROP TABLE b;\n");

    auto refused = run_tool(p.args(db, {"execute"}));
    CHECK(refused.exit_code == 11);
    p.write_config("[execute]\nout_of_order = \"by-dependency\"\n");
    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    // The history and the events keep the order the migrations were applied in.
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY applied_at) "
                    "FROM safe_migrate.history") == "1,3,2");
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY id) FROM safe_migrate.events "
                    "WHERE kind = 'migration.applied'") == "1,3,2");

    // 3 is the newest version, but 2 (applied) needs it.
    auto back = run_tool(p.args(db, {"rollback"}));
    INFO(back.all());
    CHECK(back.exit_code == 4);
    CHECK(has(back.err, "rollback refused:\n  3_c is required by applied migration 2_b"));
    auto only = run_tool(p.args(db, {"rollback", "--only", "3"}));
    CHECK(only.exit_code == 4);
    CHECK(has(only.err, "3_c is required by applied migration 2_b"));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
    // Reverted together, 2 goes first: allowed.
    auto both = run_tool(p.args(db, {"rollback", "--to", "1"}));
    INFO(both.all());
    CHECK(both.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',') FROM safe_migrate.history") == "1");

    // 2 needs 3, which comes after it in a run: refused.
    REQUIRE(run_tool(p.args(db, {"execute", "--target", "3"})).exit_code == 3);
}

TEST_CASE("requires: by-dependency refuses an older migration whose requirement is not met") {
    TestDatabase db;
    Project p;
    p.write_config("[execute]\nout_of_order = \"by-dependency\"\n");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("3_c.up.sql", "CREATE TABLE c (x int);\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    p.migration("2_b.up.sql", "-- safe-migrate: requires=4\nCREATE TABLE b (x int);\n");
    p.migration("4_d.up.sql", "CREATE TABLE d (x int);\n");

    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 11);
    CHECK(has(run.err,
              "pending migrations are older than the newest applied version 3:\n"
              "  2_b (2_b requires 4_d, which is neither applied nor applied earlier "
              "in this run)"));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");
}

TEST_CASE("rollback --only reverts one migration, and refuses when a later one uses its objects") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("1_a.down.sql", "DROP TABLE a;\n");
    p.migration("2_b.up.sql", "CREATE TABLE b (x int);\nCREATE TABLE b2 (y int);\n");
    p.migration("2_b.down.sql", "DROP TABLE b2;\nDROP TABLE b;\n");
    p.migration("3_c.up.sql", "CREATE INDEX b_x_idx ON b (x);\nALTER TABLE a ADD COLUMN y int;\n");
    p.migration("3_c.down.sql", "DROP INDEX b_x_idx;\nALTER TABLE a DROP COLUMN y;\n");
    p.migration("4_d.up.sql", "CREATE TABLE d (x int);\n");
    p.migration("4_d.down.sql", "DROP TABLE d;\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);

    auto refused = run_tool(p.args(db, {"rollback", "--only", "2"}));
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK(has(refused.err,
              "rollback refused:\n  applied migration 3_c uses public.b, created by 2_b"));
    auto a = run_tool(p.args(db, {"rollback", "--only", "1"}));
    CHECK(a.exit_code == 4);
    CHECK(has(a.err, "applied migration 3_c uses public.a, created by 1_a"));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "4");

    auto only = run_tool(p.args(db, {"rollback", "--only", "3", "--format", "json"}));
    INFO(only.all());
    CHECK(only.exit_code == 0);
    auto j = nlohmann::json::parse(only.out);
    CHECK(j.at("reverted").at(0).at("id") == "3_c");
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM safe_migrate.history") ==
          "1,2,4");
    CHECK(db.scalar("SELECT to_regclass('b_x_idx') IS NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('d') IS NOT NULL") == "t");

    auto missing = run_tool(p.args(db, {"rollback", "--only", "3"}));
    CHECK(missing.exit_code == 3);
    CHECK(has(missing.err, "--only 3: no applied migration has this version"));
    auto both = run_tool(p.args(db, {"rollback", "--only", "2", "--steps", "2"}));
    CHECK(both.exit_code == 2);
}

TEST_CASE("rollback --only keeps every rollback's guards on a protected environment") {
    TestDatabase db;
    Project p;
    p.write_config("");
    p.write_config(p.backup_section() + "[environments.prod]\nprotected = true\ndatabase_url = \"" +
                   db.url() + "\"\n");
    p.migration("1_a.up.sql", "CREATE TABLE a (x int);\n");
    p.migration("1_a.down.sql", "DROP TABLE a;\n");
    p.migration("2_b.up.sql", "CREATE TABLE b (x int);\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    auto on_prod = [&](std::vector<std::string> more) {
        std::vector<std::string> args = {
            "--config", p.config().string(), "--migrations-dir", p.migrations().string(), "--env",
            "prod"};
        args.insert(args.end(), more.begin(), more.end());
        return run_tool(args);
    };

    auto refused = on_prod({"rollback", "--only", "1"});
    INFO(refused.all());
    CHECK(refused.exit_code == 8);
    CHECK(has(refused.err, "rollback refused: environment prod is protected"));
    auto run = on_prod({"rollback", "--only", "1", "--confirm", db.name()});
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(has(run.out + run.err, "pre-change backup "));
    CHECK(db.scalar("SELECT string_agg(version, ',') FROM safe_migrate.history") == "2");
    CHECK(db.scalar("SELECT to_regclass('a') IS NULL") == "t");
}

}  // namespace dependencies_test
