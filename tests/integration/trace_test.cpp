// plan --trace: observed locks and rewrites on a throwaway copy of the schema.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sandbox/cluster.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace trace_test {

using namespace sm::test;

TEST_CASE(
    "plan --trace observes ACCESS EXCLUSIVE and rewrites and flags reality stronger than "
    "predicted") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_t.up.sql", "CREATE TABLE t (id int PRIMARY KEY, amount int);\n");
    REQUIRE(run_tool({"--migrations-dir", dir.path().string(), "execute"}, env).exit_code == 0);
    db.query("INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g");
    dir.write("2_type.up.sql", "ALTER TABLE t ALTER COLUMN amount TYPE bigint;\n");
    dir.write("3_add.up.sql", "ALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT false;\n");
    dir.write("4_volatile.up.sql", "ALTER TABLE t ADD COLUMN token float8 DEFAULT random();\n");

    auto run = run_tool(
        {"--migrations-dir", dir.path().string(), "plan", "--trace", "--format", "json"}, env);
    INFO(run.err);
    REQUIRE((run.exit_code == 0 || run.exit_code == 4));
    auto plan = nlohmann::json::parse(run.out);
    REQUIRE(plan["trace"].size() == 3);

    const auto& type = plan["trace"][0];
    CHECK(type["version"] == 2);
    CHECK(type["observed"] == true);
    CHECK(type["observed_lock"] == "ACCESS EXCLUSIVE");
    CHECK(type["locks"]["public.t"] == "ACCESS EXCLUSIVE");
    CHECK(type["predicted_rewrite"] == true);
    CHECK(type["rewritten"].dump().find("public.t") != std::string::npos);
    CHECK(type["stronger_than_predicted"] == false);

    const auto& add = plan["trace"][1];
    CHECK(add["observed_lock"] == "ACCESS EXCLUSIVE");
    CHECK(add["rewritten"].empty());  // constant default: catalog only since PostgreSQL 11
    CHECK(add["stronger_than_predicted"] == false);

    // The lock model does not mark a volatile default as a rewrite; the trace catches it.
    const auto& volatile_default = plan["trace"][2];
    CHECK(volatile_default["rewritten"].dump().find("public.t") != std::string::npos);
    CHECK(volatile_default["stronger_than_predicted"] == true);

    // The target itself was not touched.
    CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                    "'t'::regclass "
                    "AND attname = 'amount'") == "integer");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

TEST_CASE("a migration that fails on the copy blocks the plan") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\n");
    REQUIRE(run_tool({"--migrations-dir", dir.path().string(), "execute"}, env).exit_code == 0);
    dir.write("2_bad.up.sql",
              "ALTER TABLE t ADD COLUMN note text;\nALTER TABLE missing ADD COLUMN x int;\n");
    auto run = run_tool({"--migrations-dir", dir.path().string(), "plan", "--trace"}, env);
    CHECK(run.exit_code == 4);
    CHECK(run.out.find("FAILED: relation \"missing\" does not exist") != std::string::npos);
    CHECK(run.out.find("trace: migration 2 line 2 failed on a copy of the schema") !=
          std::string::npos);
    CHECK(run.out.find("verdict: BLOCKED") != std::string::npos);
}

TEST_CASE("plan --trace keeps the password out of its output and off pg_dump's argv") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\n");
    REQUIRE(
        run_tool({"--migrations-dir", dir.path().string(), "execute"}, {{"DATABASE_URL", db.url()}})
            .exit_code == 0);
    dir.write("2_add.up.sql", "ALTER TABLE t ADD COLUMN note text;\n");
    std::string password = sm::sandbox::read_password(cluster());

    // A bindir whose pg_dump records its argv, then runs the real one.
    sm::util::TempDir bindir("sm-fake-bindir");
    // The server runs as the postgres account when we are root: it must reach these.
    std::filesystem::permissions(bindir.path(), std::filesystem::perms::owner_all |
                                                    std::filesystem::perms::group_read |
                                                    std::filesystem::perms::group_exec |
                                                    std::filesystem::perms::others_read |
                                                    std::filesystem::perms::others_exec);
    auto real = sm::sandbox::find_server_bindir();
    for (const auto& entry : std::filesystem::directory_iterator(real)) {
        std::filesystem::create_symlink(entry.path(), bindir.path() / entry.path().filename());
    }
    std::filesystem::remove(bindir.path() / "pg_dump");
    auto argv_log = bindir.path() / "pg_dump.argv";
    std::ofstream(bindir.path() / "pg_dump")
        << "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '" << argv_log.string() << "'\nexec '"
        << (real / "pg_dump").string() << "' \"$@\"\n";
    std::filesystem::permissions(bindir.path() / "pg_dump",
                                 std::filesystem::perms::owner_all |
                                     std::filesystem::perms::others_read |
                                     std::filesystem::perms::others_exec);

    auto run = run_tool(
        {"--migrations-dir", dir.path().string(), "-v", "plan", "--trace", "--format", "json"},
        {{"DATABASE_URL", db.url_with_password()},
         {"SAFE_MIGRATE_PG_BINDIR", bindir.path().string()}});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.all().find(password) == std::string::npos);
    std::string argv = sm::util::read_file(argv_log);
    CHECK(argv.find("--schema-only") != std::string::npos);
    CHECK(argv.find(db.name()) != std::string::npos);
    CHECK(argv.find(password) == std::string::npos);
    CHECK(nlohmann::json::parse(run.out)["trace"][0]["observed_lock"] == "ACCESS EXCLUSIVE");
}

}  // namespace trace_test
