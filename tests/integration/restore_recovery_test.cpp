// Restore and recovery when something is already wrong: the audit trail
// across a restore, a dropped database, a missing catalog, the databases
// restores keep, and --on-failure restore with the application connected.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace restore_recovery_test {

using namespace sm::test;
using nlohmann::json;

namespace {

// Every event as "at|run_id|kind|message", oldest first.
std::vector<std::string> events(const TestDatabase& db) {
    std::vector<std::string> out;
    for (const auto& row :
         db.query("SELECT at::text || '|' || run_id || '|' || kind || '|' || message "
                  "FROM safe_migrate.events ORDER BY id")
             .rows) {
        out.push_back(row[0].value_or(""));
    }
    return out;
}

bool has_kind(const std::vector<std::string>& trail, const std::string& kind) {
    for (const auto& e : trail) {
        if (e.find("|" + kind + "|") != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string count_databases(const std::string& like) {
    auto admin = sm::db::connect(cluster().url("postgres"), "sm-test-admin");
    return admin->exec_params("SELECT count(*) FROM pg_database WHERE datname LIKE $1", {like})
        .scalar()
        .value_or("");
}

std::string like_prefix(const TestDatabase& db, const std::string& infix) {
    return db.name() + infix + "%";
}

void write_two(const Project& p) {
    p.migration("1_accounts.up.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY);\n");
    p.migration("1_accounts.down.sql", "DROP TABLE accounts;\n");
}

}  // namespace

TEST_CASE("restore: the audit trail only grows across a manual and an automatic restore") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    write_two(project);
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    REQUIRE(run_tool(project.args(db, {"backup", "create"})).exit_code == 0);
    project.migration("2_notes.up.sql", "CREATE TABLE notes (id int);\n");
    project.migration("2_notes.down.sql", "DROP TABLE notes;\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    std::vector<std::string> before = events(db);
    db.disconnect();

    auto restored = run_tool(project.args(db, {"restore", "--latest", "--confirm", db.name()}));
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    CHECK(db.scalar("SELECT max(version) FROM safe_migrate.history") == "1");
    std::vector<std::string> after = events(db);
    // Every event the replaced database held is still there, in order, and the restore too.
    REQUIRE(after.size() >= before.size() + 2);
    CHECK(std::vector<std::string>(after.begin(), after.begin() + before.size()) == before);
    CHECK(has_kind(after, "restore.started"));
    CHECK(has_kind(after, "restore.completed"));
    db.disconnect();

    // An automatic restore keeps the failed run's events and its own.
    project.migration("3_broken.up.sql", "SELECT 1/0;\n");
    auto failed = run_tool(project.args(db, {"execute", "--backup", "--on-failure", "restore"}));
    INFO(failed.all());
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("restored the pre-deploy backup") != std::string::npos);
    std::vector<std::string> trail = events(db);
    CHECK(std::vector<std::string>(trail.begin(), trail.begin() + after.size()) == after);
    CHECK(has_kind(trail, "run.failed"));
    CHECK(has_kind(trail, "backup.completed"));  // the run's pre-deploy backup
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'restore.completed'") ==
          "2");
}

TEST_CASE("restore: a dropped database is created from the maintenance database and restored") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    write_two(project);
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    db.query("INSERT INTO accounts SELECT generate_series(1, 50)");
    REQUIRE(run_tool(project.args(db, {"backup", "create"})).exit_code == 0);
    db.disconnect();
    sm::db::connect(cluster().url("postgres"), "sm-test-admin")
        ->exec("DROP DATABASE \"" + db.name() + "\" WITH (FORCE)");

    auto r = run_tool(project.args(db, {"restore", "--latest"}));
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("database " + db.name() +
                     " did not exist; created it (empty) from the maintenance database postgres") !=
          std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM accounts") == "50");
    CHECK(db.scalar("SELECT max(version) FROM safe_migrate.history") == "1");
    CHECK(count_databases(like_prefix(db, "\\_restore\\_")) == "0");
}

TEST_CASE("restore: a missing catalog exits 7 naming the path it looked in") {
    TestDatabase db;
    Project project;
    std::string missing = (project.dir() / "no-such-catalog").string();
    for (std::vector<std::string> how :
         {std::vector<std::string>{"--latest"}, std::vector<std::string>{"--id", "x"}}) {
        std::vector<std::string> args = {"--database-url", db.url(), "restore", "--backup-dir",
                                         missing};
        args.insert(args.end(), how.begin(), how.end());
        auto r = run_tool(args);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("no backup catalog at " + missing) != std::string::npos);
    }
    // A catalog holding no backup of this database names its path too.
    std::filesystem::create_directories(missing);
    auto empty =
        run_tool({"--database-url", db.url(), "restore", "--latest", "--backup-dir", missing});
    CHECK(empty.exit_code == 7);
    CHECK(empty.err.find("no complete backup of database " + db.name()) != std::string::npos);
    CHECK(empty.err.find(missing) != std::string::npos);
}

TEST_CASE("backup list shows pre-restore databases and prune drops them") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section() + "keep_pre_restore = \"7d\"\n");
    write_two(project);
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    REQUIRE(run_tool(project.args(db, {"backup", "create"})).exit_code == 0);
    db.disconnect();
    REQUIRE(run_tool(project.args(
                         db, {"restore", "--latest", "--confirm", db.name(), "--no-safety-backup"}))
                .exit_code == 0);
    // One more, as an old restore would have left it.
    std::string old = db.name() + "_pre_restore_20200101t000000z";
    sm::db::connect(cluster().url("postgres"), "sm-test-admin")
        ->exec("CREATE DATABASE \"" + old + "\"");

    auto listed = run_tool(project.args(db, {"backup", "list", "--format", "json"}));
    INFO(listed.all());
    REQUIRE(listed.exit_code == 0);
    json pre = json::parse(listed.out)["pre_restore_databases"];
    REQUIRE(pre.size() == 2);
    CHECK(pre[0]["database"] == old);
    CHECK(pre[0]["bytes"].get<int64_t>() > 0);
    CHECK(pre[0]["kept_at"] == "2020-01-01T00:00:00Z");
    auto text = run_tool(project.args(db, {"backup", "list"}));
    CHECK(text.out.find(old) != std::string::npos);

    // keep_pre_restore: prune drops the old one, keeps the new one.
    auto pruned = run_tool(project.args(db, {"backup", "prune"}));
    INFO(pruned.all());
    REQUIRE(pruned.exit_code == 0);
    CHECK(pruned.out.find("drop   database " + old + "  (older than") != std::string::npos);
    CHECK(count_databases(old) == "0");
    CHECK(count_databases(like_prefix(db, "\\_pre\\_restore\\_")) == "1");

    // --pre-restore drops the rest, only with the database's name.
    auto refused = run_tool(project.args(db, {"backup", "prune", "--pre-restore"}));
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("--confirm " + db.name()) != std::string::npos);
    auto all =
        run_tool(project.args(db, {"backup", "prune", "--pre-restore", "--confirm", db.name()}));
    INFO(all.all());
    CHECK(all.exit_code == 0);
    CHECK(count_databases(like_prefix(db, "\\_pre\\_restore\\_")) == "0");
}

TEST_CASE("on-failure restore with the application connected falls back to the down files") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section() + "[restore]\nsession_wait = \"1s\"\n");
    write_two(project);
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    project.migration("2_notes.up.sql", "CREATE TABLE notes (id int);\n");
    project.migration("2_notes.down.sql", "DROP TABLE notes;\n");
    project.migration("3_broken.up.sql", "SELECT 1/0;\n");
    auto app = db.connect("the-app");
    db.disconnect();

    auto run = run_tool(project.args(db, {"execute", "--backup", "--on-failure", "restore"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("restoring the pre-deploy backup") != std::string::npos);
    CHECK(run.err.find("could not run (1 other session(s) still connected to " + db.name() +
                       " after waiting 1.0s: pid ") != std::string::npos);
    CHECK(run.err.find("(application 'the-app'") != std::string::npos);
    CHECK(run.err.find("nothing was restored and the database was left as the failed run left "
                       "it; falling back to the down files: rolled back by down files: "
                       "2_notes; the database is at version 1") != std::string::npos);
    // The application kept its session; the run is undone; no restore left anything behind.
    CHECK(app->exec("SELECT 1").scalar().value_or("") == "1");
    CHECK(db.scalar("SELECT max(version) FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT to_regclass('notes') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'restore.failed'") ==
          "1");
    CHECK(count_databases(like_prefix(db, "\\_pre\\_restore\\_")) == "0");
    CHECK(count_databases(like_prefix(db, "\\_restore\\_")) == "0");
}

}  // namespace restore_recovery_test
