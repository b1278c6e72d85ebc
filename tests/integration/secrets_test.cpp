// A password or backup key never appears in output, logs, JSON, history,
// events or manifests.
#include <catch2/catch.hpp>

#include "sandbox/cluster.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace secrets_test {

using namespace sm::test;
namespace fs = std::filesystem;

TEST_CASE("the database password never appears in output, JSON, history or events") {
    TestDatabase db;
    std::string password = sm::sandbox::read_password(cluster());
    REQUIRE(password.size() > 8);
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    dir.write("2_b.down.sql", "DROP TABLE b;\n");
    dir.write("3_bad.up.sql", "SELECT * FROM nope;\n");
    std::string url = db.url_with_password();
    std::vector<ToolRun> runs;

    auto m = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string(), "-v"});
        return args;
    };
    runs.push_back(run_tool(m({"status"}), {{"DATABASE_URL", url}}));
    runs.push_back(run_tool(m({"--database-url", url, "execute"})));
    runs.push_back(run_tool(m({"execute", "--format", "json"}), {{"DATABASE_URL", url}}));
    runs.push_back(run_tool(m({"status", "--format", "json"}), {{"DATABASE_URL", url}}));
    runs.push_back(run_tool(m({"rollback"}), {{"DATABASE_URL", url}}));
    // A wrong password in the URL, and the real one for an unreachable host.
    runs.push_back(
        run_tool(m({"status"}), {{"DATABASE_URL", "postgresql://postgres:" + password +
                                                      "@127.0.0.1:1/x?connect_timeout=2"}}));
    std::string wrong = "wrong-" + password;
    std::string bad_url = "postgresql://postgres:" + wrong +
                          "@127.0.0.1:" + std::to_string(cluster().port) + "/" + db.name();
    auto bad = run_tool(m({"status"}), {{"DATABASE_URL", bad_url}});
    CHECK(bad.exit_code == 5);
    CHECK(bad.all().find(wrong) == std::string::npos);
    CHECK(runs[1].exit_code == 1);  // 3_bad failed: its error went through the output too

    for (const auto& run : runs) {
        INFO(run.all());
        CHECK(run.all().find(password) == std::string::npos);
    }
    CHECK(runs[0].out.find("postgresql://postgres@127.0.0.1:") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE "
                    "row(safe_migrate.history.*)::text LIKE '%" +
                    password + "%'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE "
                    "row(safe_migrate.events.*)::text LIKE '%" +
                    password + "%'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events") != "0");
}

TEST_CASE("the backup encryption key never appears in output, JSON, manifests or events") {
    TestDatabase db;
    Project p;
    // A fixed key for this test only: base64 of 32 bytes.
    const std::string key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    p.write_config(p.backup_section() + "encryption_key = \"${SM_TEST_SECRET_BACKUP_KEY}\"\n");
    const std::map<std::string, std::string> env = {{"SM_TEST_SECRET_BACKUP_KEY", key}};
    p.migration("1_t.up.sql", "CREATE TABLE t (x int);\n");
    std::vector<ToolRun> runs;
    runs.push_back(run_tool(p.args(db, {"-v", "execute"}), env));
    REQUIRE(runs.back().exit_code == 0);
    db.query("INSERT INTO t VALUES (1), (2);");
    runs.push_back(run_tool(p.args(db, {"-v", "backup", "create"}), env));
    REQUIRE(runs.back().exit_code == 0);
    runs.push_back(run_tool(p.args({"-v", "backup", "list", "--format", "json"}), env));
    runs.push_back(
        run_tool(p.args({"-v", "backup", "verify", "--latest", "--format", "json"}), env));
    CHECK(runs.back().exit_code == 0);
    db.disconnect();
    runs.push_back(run_tool(
        p.args(db, {"-v", "restore", "--latest", "--confirm", db.name(), "--format", "json"}),
        env));
    CHECK(runs.back().exit_code == 0);
    // A wrong key, and a malformed one: named, never shown.
    const std::string wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    auto refused = run_tool(p.args({"-v", "backup", "verify", "--latest"}),
                            {{"SM_TEST_SECRET_BACKUP_KEY", wrong}});
    CHECK(refused.exit_code == 7);
    CHECK(refused.all().find(wrong) == std::string::npos);
    const std::string malformed = "bm90LWEta2V5LWJ1dC1zZWNyZXQ=";
    auto bad = run_tool(p.args({"backup", "list"}), {{"SM_TEST_SECRET_BACKUP_KEY", malformed}});
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("encryption_key") != std::string::npos);
    CHECK(bad.all().find(malformed) == std::string::npos);

    for (const auto& run : runs) {
        INFO(run.all());
        CHECK(run.all().find(key) == std::string::npos);
    }
    for (const auto& e : fs::recursive_directory_iterator(p.backups())) {
        if (e.path().filename() == "manifest.json") {
            CHECK(sm::util::read_file(e.path()).find(key) == std::string::npos);
        }
    }
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE "
                    "row(safe_migrate.events.*)::text LIKE '%" +
                    key + "%'") == "0");
}

}  // namespace secrets_test
