// execute's backup gate: a verified pre-deploy backup before the first
// migration on protected environments (or with --backup), and a recorded reason
// when it is skipped.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_gate_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A project whose environment "prod" targets db, protected or not, with its
// backup catalog in catalog.
void write_project(const MigrationDir& dir, const TestDatabase& db, const fs::path& catalog,
                   bool is_protected) {
    dir.write("1_customers.up.sql", "CREATE TABLE customers (id int);\n");
    dir.write("2_orders.up.sql", "CREATE TABLE orders (id int);\n");
    dir.write("safe-migrate.toml",
              "migrations_dir = \".\"\n[backup]\ndir = \"" + catalog.string() +
                  "\"\n[environments.prod]\nprotected = " + (is_protected ? "true" : "false") +
                  "\ndatabase_url = \"" + db.url() + "\"\n");
}

std::vector<std::string> in_project(const MigrationDir& dir, std::vector<std::string> args) {
    std::vector<std::string> all = {"--config", (dir.path() / "safe-migrate.toml").string(),
                                    "--env", "prod"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

json backups(const fs::path& catalog) {
    auto r = run_tool({"backup", "list", "--format", "json", "--backup-dir", catalog.string()});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["backups"];
}

}  // namespace

TEST_CASE("a protected environment takes a verified pre-deploy backup before migrating") {
    TestDatabase db;
    MigrationDir dir;
    sm::util::TempDir catalog("sm-gate");
    write_project(dir, db, catalog.path(), true);
    auto run = run_tool(in_project(dir, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("pre-deploy backup ") != std::string::npos);
    json list = backups(catalog.path());
    REQUIRE(list.size() == 1);
    CHECK(list[0]["kind"] == "pre-deploy");
    CHECK(list[0]["state"] == "verified");
    CHECK(list[0]["migration_head"].is_null());  // taken before the first migration
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'backup.completed'") ==
          "1");
    // Nothing pending: no backup.
    REQUIRE(run_tool(in_project(dir, {"execute"})).exit_code == 0);
    CHECK(backups(catalog.path()).size() == 1);
}

TEST_CASE("skipping the backup needs a reason and records it") {
    TestDatabase db;
    MigrationDir dir;
    sm::util::TempDir catalog("sm-gate");
    write_project(dir, db, catalog.path(), true);
    auto no_reason = run_tool(in_project(dir, {"execute", "--skip-backup"}));
    CHECK(no_reason.exit_code == 2);
    CHECK(no_reason.err.find("--reason") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('customers') IS NULL") == "t");
    auto both =
        run_tool(in_project(dir, {"execute", "--skip-backup", "--backup", "--reason", "x"}));
    CHECK(both.exit_code == 2);

    auto skipped = run_tool(
        in_project(dir, {"execute", "--skip-backup", "--reason", "hotfix; backup taken by hand"}));
    INFO(skipped.all());
    REQUIRE(skipped.exit_code == 0);
    CHECK(backups(catalog.path()).empty());
    CHECK(db.scalar("SELECT message FROM safe_migrate.events WHERE kind = 'backup.skipped'") ==
          "pre-deploy backup skipped: hotfix; backup taken by hand");
}

TEST_CASE("an unprotected environment backs up only with --backup") {
    TestDatabase db;
    MigrationDir dir;
    sm::util::TempDir catalog("sm-gate");
    write_project(dir, db, catalog.path(), false);
    REQUIRE(run_tool(in_project(dir, {"execute", "--target", "1"})).exit_code == 0);
    CHECK(backups(catalog.path()).empty());
    auto run = run_tool(in_project(dir, {"execute", "--backup", "--format", "json"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    json list = backups(catalog.path());
    REQUIRE(list.size() == 1);
    CHECK(list[0]["migration_head"] == 1);
    CHECK(json::parse(run.out)["result"] == "ok");
}

TEST_CASE("a failed pre-deploy backup stops execute before anything is applied") {
    TestDatabase db;
    MigrationDir dir;
    sm::util::TempDir catalog("sm-gate");
    sm::util::TempDir bin("sm-fake-bin");
    write_project(dir, db, catalog.path(), true);
    fs::path fake = bin.path() / "pg_dump";
    std::ofstream(fake) << "#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.4'\n";
    fs::permissions(fake, fs::perms::owner_all);
    auto run = run_tool(in_project(dir, {"execute"}),
                        {{"PATH", bin.path().string() + ":" + std::getenv("PATH")}});
    INFO(run.all());
    CHECK(run.exit_code == 7);
    CHECK(db.scalar("SELECT to_regclass('customers') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
}

}  // namespace backup_gate_test
