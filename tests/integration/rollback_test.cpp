// rollback: down files newest first, back to the exact schema.
#include <catch2/catch.hpp>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace rollback_test {

using namespace sm::test;

TEST_CASE("rolling back the example project returns the schema to what it was") {
    TestDatabase db;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    std::string empty = db.schema_dump();

    REQUIRE(run_tool({"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "execute", "--target",
                      "20260101090600"},
                     env)
                .exit_code == 0);
    std::string middle = db.schema_dump();
    REQUIRE(run_tool({"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "execute"}, env).exit_code == 0);
    CHECK(db.schema_dump() != middle);

    auto back = run_tool(
        {"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "rollback", "--to", "20260101090600"}, env);
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.schema_dump() == middle);

    auto all = run_tool({"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "rollback", "--to", "0"}, env);
    REQUIRE(all.exit_code == 0);
    CHECK(db.schema_dump() == empty);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar(
              "SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.rolled_back'") ==
          "12");
}

TEST_CASE("rollback refuses up front when a down file is missing") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("1_a.down.sql", "DROP TABLE a;\n");
    dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    dir.write("3_c.up.sql", "CREATE TABLE c (x int);\n");
    dir.write("3_c.down.sql", "DROP TABLE c;\n");
    REQUIRE(run_tool({"--migrations-dir", dir.path().string(), "execute"}, env).exit_code == 0);

    auto run = run_tool({"--migrations-dir", dir.path().string(), "rollback", "--steps", "3"}, env);
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("cannot roll back:\n  down file missing: " +
                       (dir.path() / "2_b.down.sql").string()) != std::string::npos);
    // Nothing was reverted, not even 3, whose down exists.
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
    CHECK(db.scalar("SELECT to_regclass('c') IS NOT NULL") == "t");

    auto one = run_tool({"--migrations-dir", dir.path().string(), "rollback"}, env);
    CHECK(one.exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('c') IS NULL") == "t");
    CHECK(db.scalar(
              "SELECT string_agg(version::text, ',' ORDER BY version) FROM safe_migrate.history") ==
          "1,2");
}

TEST_CASE("a down file that does not parse never blocks execute, rollback refuses naming it") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    // Written for a newer PostgreSQL years ago, never run.
    dir.write("1_a.down.sql", "DROP TABLE a CASCADE CONSTRAINTS PLEASE;\n");
    auto plan = run_tool({"--migrations-dir", dir.path().string(), "plan"}, env);
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    CHECK(plan.out.find("warning[broken-down-migration]") != std::string::npos);
    CHECK(plan.out.find("rollback of 1_a will fail") != std::string::npos);
    auto strict =
        run_tool({"--migrations-dir", dir.path().string(), "plan", "--policy", "strict"}, env);
    CHECK(strict.exit_code == 4);

    REQUIRE(run_tool({"--migrations-dir", dir.path().string(), "execute"}, env).exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('a') IS NOT NULL") == "t");

    auto run = run_tool({"--migrations-dir", dir.path().string(), "rollback"}, env);
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("down file does not parse: " + (dir.path() / "1_a.down.sql").string()) !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('a') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

}  // namespace rollback_test
