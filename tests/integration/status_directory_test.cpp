// status on a directory with no migrations, or another tool's migrations, says
// so (exit 3) instead of "0 applied, 0 pending".
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace status_directory_test {

using namespace sm::test;

namespace {

constexpr const char* k_hint =
    "hint: safe-migrate reads <version>_<name>.up.sql files (and optional .down.sql). Point "
    "--migrations-dir, or migrations_dir in safe-migrate.toml, at the directory that holds "
    "them.\n";

void put(const Project& project, const std::string& relative, const std::string& text) {
    std::filesystem::path path = project.migrations() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("status on an empty migrations directory is invalid input, not up to date") {
    TestDatabase db;
    Project project;
    project.write_config("");
    ToolRun run = run_tool(project.args(db, {"status"}));
    CHECK(run.exit_code == 3);
    CHECK(run.err == "safe-migrate: error: no migrations in " + project.migrations().string() +
                         ": it is empty\n" + k_hint);
    CHECK(run.out.find("0 applied") == std::string::npos);
}

TEST_CASE("status names what a directory without migrations holds") {
    TestDatabase db;
    Project project;
    project.write_config("");
    put(project, "README.md", "notes\n");
    ToolRun other = run_tool(project.args(db, {"status"}));
    CHECK(other.exit_code == 3);
    CHECK(other.err.find(project.migrations().string() +
                         ": it holds 1 file and 0 subdirectories, none of them a migration\n") !=
          std::string::npos);

    put(project, "2024-01-01-120000_create_users/up.sql", "CREATE TABLE users (id int);\n");
    put(project, "2024-01-01-120000_create_users/down.sql", "DROP TABLE users;\n");
    ToolRun diesel = run_tool(project.args(db, {"status"}));
    CHECK(diesel.exit_code == 3);
    CHECK(diesel.err.find("looks like a diesel project (2024-01-01-120000_create_users/up.sql") !=
          std::string::npos);
    // The hint's command reads the directory as diesel's: one migration pending.
    std::string hint = diesel.err.substr(diesel.err.find("hint: "));
    std::vector<std::string> hinted = hinted_args(hint);
    REQUIRE(hinted == std::vector<std::string>{"--layout", "diesel", "status"});
    CHECK(run_tool(project.args(db, hinted)).exit_code == 10);
}

TEST_CASE("status on a Flyway or dbmate directory names the layout") {
    TestDatabase db;
    Project flyway;
    flyway.write_config("");
    put(flyway, "V1__create_users.sql", "CREATE TABLE users (id int);\n");
    ToolRun run = run_tool(flyway.args(db, {"status"}));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find(flyway.migrations().string() +
                       " looks like a flyway project (V1__create_users.sql is a flyway "
                       "migration), not safe-migrate's native layout") != std::string::npos);

    Project dbmate;
    dbmate.write_config("");
    put(dbmate, "20240101120000_create_users.sql",
        "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n");
    ToolRun mate = run_tool(dbmate.args(db, {"status"}));
    CHECK(mate.exit_code == 3);
    CHECK(mate.err.find("looks like a dbmate project (20240101120000_create_users.sql") !=
          std::string::npos);
}

}  // namespace status_directory_test
