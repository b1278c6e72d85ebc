// What execute does while a statement runs: the run's time limit stops a
// running statement, lock timeouts that outlast the retries are exit 6, a
// retry lands as soon as the session that blocked it is gone, and a long
// statement prints heartbeats (statement_watch.hpp, retry_watch.hpp).
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace statement_watch_test {

using namespace sm::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> execute_args(const MigrationDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--config", (dir.path() / "safe-migrate.toml").string(),
                                     "--migrations-dir", dir.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// A session that reads table in an open transaction and then runs a query for
// a while: it holds ACCESS SHARE, which an ALTER must wait for, and stays
// active (not idle in transaction), so the preflight lets the run start
// (with --blocker-age 1h) and the lock-timeout retries are what is tested.
class Blocker {
  public:
    Blocker(const TestDatabase& db, const std::string& table, const std::string& sleep)
        : m_session(db.connect("blocker")) {
        m_session->exec("BEGIN");
        m_session->exec("SELECT count(*) FROM " + table);
        m_sleeper =
            std::thread([this, sleep] { m_session->exec("SELECT pg_sleep(" + sleep + ")"); });
    }
    ~Blocker() {
        if (m_sleeper.joinable()) {
            m_sleeper.join();
        }
    }
    Blocker(const Blocker&) = delete;
    Blocker& operator=(const Blocker&) = delete;

    int pid() const { return m_session->backend_pid(); }
    // Waits for the sleep to end, commits, and returns the server's clock
    // right after (epoch seconds).
    double end() {
        m_sleeper.join();
        m_session->exec("COMMIT");
        return std::stod(*m_session->exec("SELECT extract(epoch FROM clock_timestamp())").scalar());
    }

  private:
    std::unique_ptr<sm::db::Session> m_session;
    std::thread m_sleeper;
};

}  // namespace

TEST_CASE("execute --max-duration stops a running statement at the limit and rolls the run back") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("safe-migrate.toml", "");
    dir.write("1_slow.up.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(3);\n");
    dir.write("1_slow.down.sql", "DROP TABLE slow;\n");
    auto started = Clock::now();
    auto run = run_tool(execute_args(dir, {"execute", "--max-duration", "2s"}),
                        {{"DATABASE_URL", db.url()}});
    auto took = Clock::now() - started;
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("safe-migrate: error: the run exceeded its time limit (max_duration 2.0s) "
                       "while applying 1_slow at 1_slow.up.sql:2; its transaction was rolled "
                       "back") != std::string::npos);
    // Stopped at about 2 s, not after the statement's 3 s.
    CHECK(took < 2800ms);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT to_regclass('slow') IS NULL") == "t");
}

TEST_CASE("lock timeouts that outlast every retry exit 6 (lock busy)") {
    TestDatabase db;
    db.query("CREATE TABLE busy (id int)");
    MigrationDir dir;
    dir.write("safe-migrate.toml", "[execute]\nretry_base_delay = \"100ms\"\n");
    dir.write("1_add.up.sql", "ALTER TABLE busy ADD COLUMN note text;\n");
    Blocker blocker(db, "busy", "5");
    auto run = run_tool(execute_args(dir, {"execute", "--lock-timeout", "100ms", "--lock-retries",
                                           "2", "--blocker-age", "1h"}),
                        {{"DATABASE_URL", db.url()}});
    INFO(run.all());
    CHECK(run.exit_code == 6);
    CHECK(run.err.find("canceling statement due to lock timeout (SQLSTATE 55P03) after 3 "
                       "attempts") != std::string::npos);
    CHECK(run.err.find("then run execute again") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    blocker.end();
}

TEST_CASE("a retry lands as soon as the session that blocked it ends") {
    TestDatabase db;
    db.query("CREATE TABLE busy (id int)");
    MigrationDir dir;
    // A blind backoff would wait anything up to 10 s before each retry.
    dir.write("safe-migrate.toml",
              "[execute]\nretry_base_delay = \"10s\"\nretry_max_delay = \"10s\"\n");
    dir.write("1_add.up.sql", "ALTER TABLE busy ADD COLUMN note text;\n");
    Blocker blocker(db, "busy", "3");
    auto run = start_tool(execute_args(dir, {"execute", "--lock-timeout", "200ms", "--lock-retries",
                                             "3", "--blocker-age", "1h"}),
                          {{"DATABASE_URL", db.url()}});
    double ended = blocker.end();
    auto result = run->wait_for(30s);
    REQUIRE(result);
    auto out = to_run(*result);
    INFO(out.all());
    CHECK(out.exit_code == 0);
    std::string pid = std::to_string(blocker.pid());
    CHECK(out.err.find("lock timeout at 1_add.up.sql:1 (attempt 1 of 4); blocked by pid " + pid +
                       "; retrying as soon as it ends (at most 10.0s)") != std::string::npos);
    CHECK(out.err.find("pid " + pid + " no longer blocks; retrying now") != std::string::npos);
    // applied_at is the start of the attempt that landed (DB clock).
    double landed =
        std::stod(db.scalar("SELECT extract(epoch FROM applied_at) FROM safe_migrate.history"));
    INFO("landed " << (landed - ended) << " s after the blocker ended");
    CHECK(landed - ended < 1.5);
}

TEST_CASE("a long statement prints heartbeats naming what it waits on, and -q hides them") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("safe-migrate.toml", "[execute]\nheartbeat = \"1s\"\n");
    dir.write("1_slow.up.sql", "SELECT pg_sleep(3);\n");
    dir.write("1_slow.down.sql", "SELECT 1;\n");
    auto run = run_tool(execute_args(dir, {"execute"}), {{"DATABASE_URL", db.url()}});
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("safe-migrate: info: heartbeat: 1_slow.up.sql running for 1.0s, waiting "
                       "on Timeout:PgSleep") != std::string::npos);
    CHECK(run.err.find("heartbeat: 1_slow.up.sql running for 2.0s") != std::string::npos);

    TestDatabase quiet_db;
    auto quiet = run_tool(execute_args(dir, {"-q", "execute"}), {{"DATABASE_URL", quiet_db.url()}});
    INFO(quiet.all());
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err.find("heartbeat") == std::string::npos);
}

TEST_CASE("a heartbeat reports the progress of an index build") {
    TestDatabase db;
    // A slow expression makes the build take a few seconds.
    db.query("CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 40) g");
    db.query(
        "CREATE FUNCTION slow_id(int) RETURNS int IMMUTABLE LANGUAGE sql AS "
        "'SELECT $1 + (pg_sleep(0.1) IS NULL)::int'");
    MigrationDir dir;
    dir.write("safe-migrate.toml", "[execute]\nheartbeat = \"1s\"\n");
    dir.write("1_idx.up.sql",
              "-- safe-migrate: no-transaction\n"
              "CREATE INDEX CONCURRENTLY IF NOT EXISTS big_slow ON big (slow_id(id));\n");
    auto run = run_tool(execute_args(dir, {"execute"}), {{"DATABASE_URL", db.url()}});
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("heartbeat: 1_idx.up.sql:2 running for 1.0s") != std::string::npos);
    CHECK(run.err.find("; create index concurrently: building index") != std::string::npos);
}

}  // namespace statement_watch_test
