// Migrations that cannot run in a transaction: CREATE INDEX CONCURRENTLY,
// progress recording, INVALID indexes, and resuming.
#include <catch2/catch.hpp>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace no_transaction_test {

using namespace sm::test;

TEST_CASE(
    "a CREATE INDEX CONCURRENTLY migration runs outside a transaction and leaves a valid index") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_table.up.sql", "CREATE TABLE t (a int, b int);\n");
    // Detected by the parser: no directive needed. The word in a comment and a
    // string must not confuse it.
    dir.write("2_index.up.sql",
              "-- builds concurrently\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);\n"
              "CREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n");
    dir.write("3_plain.up.sql",
              "COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY is in this string';\n");
    auto run = run_tool({"--migrations-dir", dir.path().string(), "execute"},
                        {{"DATABASE_URL", db.url()}});
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("applying 2_index (no transaction)") != std::string::npos);
    CHECK(run.out.find("applying 3_plain\n") != std::string::npos);
    CHECK(
        db.scalar("SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass AND indisvalid") ==
        "2");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.progress") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
}

TEST_CASE("a failed concurrent index is reported, dropped before the retry, and the run resumes") {
    TestDatabase db;
    db.query("CREATE TABLE users (id int, email text)");
    db.query("INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com')");
    MigrationDir dir;
    // The first statement is not idempotent: a resume must not run it again.
    dir.write("1_email.up.sql",
              "-- safe-migrate: no-transaction\n"
              "CREATE TABLE audit (note text);\n"
              "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\n"
              "INSERT INTO audit VALUES ('indexed');\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    std::vector<std::string> args = {"--migrations-dir", dir.path().string()};

    auto failed = run_tool({"--migrations-dir", dir.path().string(), "execute"}, env);
    INFO(failed.all());
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("applying 1_email failed at 1_email.up.sql:3:") != std::string::npos);
    CHECK(failed.err.find("index public.users_email_key was left INVALID") != std::string::npos);
    CHECK(failed.err.find("1 of 3 statements completed") != std::string::npos);
    CHECK(
        db.scalar(
            "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass") ==
        "t");

    auto status = run_tool({"--migrations-dir", dir.path().string(), "status"}, env);
    CHECK(status.exit_code == 11);
    CHECK(status.out.find("partial") != std::string::npos);
    CHECK(status.out.find("1 of 3 statements done; failed:") != std::string::npos);

    // The DBA fixes the data; the re-run drops the INVALID index, resumes
    // after CREATE TABLE, and finishes.
    db.query("DELETE FROM users WHERE id = 2");
    auto resumed = run_tool({"--migrations-dir", dir.path().string(), "execute"}, env);
    INFO(resumed.all());
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.err.find("resuming after 1 of 3 completed statements") != std::string::npos);
    CHECK(resumed.err.find("dropping INVALID index public.users_email_key") != std::string::npos);
    CHECK(db.scalar(
              "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass") ==
          "t");
    CHECK(db.scalar("SELECT count(*) FROM audit") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.progress") == "0");
    CHECK(db.scalar("SELECT string_agg(kind, ',' ORDER BY id) FROM safe_migrate.events WHERE "
                    "version = '1'") ==
          "migration.failed,migration.resumed,index.invalid_dropped,migration.applied");
    CHECK(run_tool({"--migrations-dir", dir.path().string(), "status"}, env).exit_code == 0);
}

TEST_CASE("a partial migration whose completed statements changed is not resumed") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_x.up.sql",
              "-- safe-migrate: no-transaction\nCREATE TABLE a (x int);\nSELECT 1/0;\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    REQUIRE(run_tool({"--migrations-dir", dir.path().string(), "execute"}, env).exit_code == 1);
    dir.write("1_x.up.sql",
              "-- safe-migrate: no-transaction\nCREATE TABLE a (x bigint);\nSELECT 1;\n");
    auto run = run_tool({"--migrations-dir", dir.path().string(), "execute"}, env);
    CHECK(run.exit_code == 11);
    CHECK(run.err.find(
              "1_x stopped midway after 1 statements, and those statements have changed since") !=
          std::string::npos);
}

}  // namespace no_transaction_test
