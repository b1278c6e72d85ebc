// execute and status against a real PostgreSQL: order, history, events,
// failures, invalid sources and drift.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace execute_test {

using namespace sm::test;

namespace {

std::vector<std::string> with_dir(const MigrationDir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
    return args;
}

}  // namespace

TEST_CASE("execute applies pending migrations in order and records history and events") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("10_third.up.sql", "ALTER TABLE t ADD COLUMN c int;\n");
    dir.write("2_second.up.sql", "ALTER TABLE t ADD COLUMN b int;\n");
    dir.write("1_first.up.sql", "-- the first table\nCREATE TABLE t (a int);\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

    auto before = run_tool(with_dir(dir, {"status"}), env);
    CHECK(before.exit_code == 10);  // pending

    auto run = run_tool(with_dir(dir, {"execute"}), env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("applying 1_first") < run.out.find("applying 2_second"));
    CHECK(run.out.find("applying 2_second") < run.out.find("applying 10_third"));

    // Columns in the order the migrations ran.
    CHECK(db.scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                    "WHERE attrelid = 't'::regclass AND attnum > 0") == "a,b,c");
    auto history = db.query(
        "SELECT version, name, checksum_algorithm, length(checksum), applied_by, "
        "duration_ms >= 0, tool_version FROM safe_migrate.history ORDER BY version_key");
    REQUIRE(history.rows.size() == 3);
    CHECK(*history.rows[0][0] == "1");
    CHECK(*history.rows[2][1] == "third");
    CHECK(*history.rows[0][2] == "sha256-lf-nobom");
    CHECK(*history.rows[0][3] == "64");
    CHECK(history.rows[0][4]->find('@') != std::string::npos);
    CHECK(*history.rows[0][5] == "t");
    CHECK(db.scalar("SELECT count(DISTINCT run_id) FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT string_agg(kind, ',' ORDER BY id) FROM safe_migrate.events") ==
          "run.started,migration.applied,migration.applied,migration.applied,run.finished");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events e JOIN safe_migrate.history h USING "
                    "(run_id)") == "15");

    auto after = run_tool(with_dir(dir, {"status"}), env);
    CHECK(after.exit_code == 0);
    auto again = run_tool(with_dir(dir, {"execute"}), env);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("nothing to apply") != std::string::npos);
}

TEST_CASE("the example project applies and status reports it clean") {
    TestDatabase db;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    std::vector<std::string> base = {"--migrations-dir", SM_EXAMPLE_MIGRATIONS};
    auto run = run_tool({"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "execute"}, env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    auto status =
        run_tool({"--migrations-dir", SM_EXAMPLE_MIGRATIONS, "status", "--format", "json"}, env);
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("\"result\": \"ok\"") != std::string::npos);
    CHECK(status.out.find("\"pending\": 0") != std::string::npos);
    // Every index the example builds concurrently is valid.
    CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'products_search_idx'") ==
          "1");
}

TEST_CASE("a failing migration leaves no partial schema and a failed event") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_ok.up.sql", "CREATE TABLE kept (a int);\n");
    dir.write("2_bad.up.sql",
              "CREATE TABLE half (a int);\nINSERT INTO no_such_table VALUES (1);\n");
    dir.write("3_never.up.sql", "CREATE TABLE never (a int);\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

    auto run = run_tool(with_dir(dir, {"execute"}), env);
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("safe-migrate: error: applying 2_bad failed at 2_bad.up.sql:2: relation "
                       "\"no_such_table\" does not exist (SQLSTATE 42P01)") != std::string::npos);
    CHECK(run.err.find("hint: Its transaction was rolled back; nothing of it remains.") !=
          std::string::npos);

    CHECK(db.scalar("SELECT to_regclass('kept') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('half') IS NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('never') IS NULL") == "t");
    CHECK(db.scalar("SELECT string_agg(version::text, ',') FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.failed' AND "
                    "version = '2' "
                    "AND message LIKE '%2_bad.up.sql:2%'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'run.failed'") == "1");

    auto status = run_tool(with_dir(dir, {"status"}), env);
    CHECK(status.exit_code == 10);  // 2 and 3 still pending, nothing drifted
}

TEST_CASE("invalid sources apply nothing and name the file and line") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_ok.up.sql", "CREATE TABLE t (a int);\n");
    dir.write("2_typo.up.sql", "-- safe-migrate: no-transacton\nCREATE TABLE u (a int);\n");
    dir.write("3_syntax.up.sql", "CREATE TABLE v (a int);\nCREATE TABEL w (a int);\n");
    dir.write("4_x.down.sql", "DROP TABLE x;\n");
    auto run = run_tool(with_dir(dir, {"execute"}), {{"DATABASE_URL", db.url()}});
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("2_typo.up.sql:1: unknown directive 'no-transacton'") != std::string::npos);
    CHECK(run.err.find("3_syntax.up.sql:2: col 8: syntax error") != std::string::npos);
    CHECK(run.err.find("4_x.down.sql: down migration has no matching up migration") !=
          std::string::npos);
    CHECK(run.err.find("Nothing was applied") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('t') IS NULL") == "t");
    CHECK(db.scalar("SELECT to_regnamespace('safe_migrate') IS NULL") == "t");
}

TEST_CASE("a changed checksum is refused with both checksums, and can be accepted deliberately") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE t (a int);\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    std::string recorded = db.scalar("SELECT checksum FROM safe_migrate.history");

    dir.write("1_a.up.sql", "CREATE TABLE t (a bigint);\n");
    dir.write("2_b.up.sql", "CREATE TABLE u (a int);\n");
    auto refused = run_tool(with_dir(dir, {"execute"}), env);
    INFO(refused.all());
    CHECK(refused.exit_code == 11);
    CHECK(refused.err.find("1_a: file changed after it was applied") != std::string::npos);
    CHECK(refused.err.find("recorded " + recorded) != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('u') IS NULL") == "t");
    CHECK(run_tool(with_dir(dir, {"status"}), env).exit_code == 11);

    // CRLF line endings are not a change.
    dir.write("1_a.up.sql", "CREATE TABLE t (a int);\r\n");
    CHECK(run_tool(with_dir(dir, {"status"}), env).exit_code == 10);

    dir.write("1_a.up.sql", "CREATE TABLE t (a bigint);\n");
    auto accepted = run_tool(with_dir(dir, {"execute", "--accept-changed", "1"}), env);
    INFO(accepted.all());
    CHECK(accepted.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'checksum.accepted'") ==
          "1");
    CHECK(run_tool(with_dir(dir, {"status"}), env).exit_code == 0);
}

TEST_CASE("missing files and out-of-order migrations are refused") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("3_c.up.sql", "CREATE TABLE c (x int);\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);

    dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    auto late = run_tool(with_dir(dir, {"execute"}), env);
    CHECK(late.exit_code == 11);
    CHECK(late.err.find("older than the newest applied version 3") != std::string::npos);
    CHECK(late.err.find("2_b") != std::string::npos);
    auto allowed = run_tool(with_dir(dir, {"execute", "--allow-out-of-order"}), env);
    CHECK(allowed.exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('b') IS NOT NULL") == "t");

    dir.remove("1_a.up.sql");
    auto missing = run_tool(with_dir(dir, {"status", "--format", "json"}), env);
    CHECK(missing.exit_code == 11);
    CHECK(missing.out.find("\"state\": \"missing\"") != std::string::npos);
    auto refused = run_tool(with_dir(dir, {"execute"}), env);
    CHECK(refused.exit_code == 11);
    CHECK(refused.err.find("1_a: applied, but its file is gone") != std::string::npos);
}

TEST_CASE("execute --target stops at the given version") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("2_b.up.sql", "CREATE TABLE b (x int);\n");
    dir.write("3_c.up.sql", "CREATE TABLE c (x int);\n");
    auto run = run_tool(with_dir(dir, {"execute", "--target", "2", "--format", "json"}), env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("\"head\": 2") != std::string::npos);
    CHECK(db.scalar(
              "SELECT string_agg(version::text, ',' ORDER BY version) FROM safe_migrate.history") ==
          "1,2");
}

TEST_CASE("an unreachable database fails with its own exit code") {
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    auto run =
        run_tool(with_dir(dir, {"execute"}),
                 {{"DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"}});
    CHECK(run.exit_code == 5);
    CHECK(run.err.find("safe-migrate: error: cannot connect to the database") != std::string::npos);
}

// execute connects while it loads the migrations; a broken file stops it at
// once even when the server never answers (the attempt is left behind, not
// waited for): here a port that accepts connections and says nothing.
TEST_CASE("a broken migration is reported at once while the target does not answer") {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(listen(listener, 8) == 0);
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    std::string url = "postgresql://nobody@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
                      "/none?sslmode=disable&connect_timeout=60";
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("2_b.up.sql", "CREATE TABLE (;\n");

    auto started = std::chrono::steady_clock::now();
    auto run = run_tool(with_dir(dir, {"execute"}), {{"DATABASE_URL", url}});
    auto took = std::chrono::steady_clock::now() - started;
    close(listener);
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("2_b.up.sql:1") != std::string::npos);
    CHECK(run.signal == 0);
    // Not the 60 s of connect_timeout.
    CHECK(took < std::chrono::seconds(30));
}

TEST_CASE("config errors name the file, the line and the key") {
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("safe-migrate.toml", "[execute]\nlock_timeout = \"3s\"\nlock_retires = 3\n");
    auto run = run_tool({"--config", (dir.path() / "safe-migrate.toml").string(), "status"});
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("safe-migrate.toml:3: unknown key 'execute.lock_retires'") !=
          std::string::npos);
    CHECK(run.err.find("hint: Did you mean 'execute.lock_retries'?") != std::string::npos);
}

}  // namespace execute_test
