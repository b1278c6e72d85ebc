// The migration lock between runners, and lock timeouts against live traffic.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "db/advisory_lock.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace locking_test {

using namespace sm::test;
using namespace std::chrono_literals;

TEST_CASE("a second runner waits for the migration lock, then fails naming the holder") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_slow.up.sql", "CREATE TABLE t (a int);\nSELECT pg_sleep(4);\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    std::vector<std::string> args = {"--migrations-dir", dir.path().string(), "execute"};

    auto first = start_tool(args, env);
    // Wait until the first runner is inside its migration.
    for (int i = 0;
         i < 200 &&
         db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' "
                   "AND datname = current_database()") != "1";
         ++i) {
        std::this_thread::sleep_for(25ms);
    }
    auto started = std::chrono::steady_clock::now();
    auto second =
        run_tool({"--migrations-dir", dir.path().string(), "execute", "--lock-wait", "1s"}, env);
    auto waited = std::chrono::steady_clock::now() - started;
    INFO(second.all());
    CHECK(second.exit_code == 6);
    CHECK(waited >= 900ms);
    CHECK(second.err.find("waiting up to 1s for the migration lock held by pid") !=
          std::string::npos);
    CHECK(second.err.find("safe-migrate: error: another run holds the migration lock: pid ") !=
          std::string::npos);
    CHECK(second.err.find("application 'safe-migrate/lock'") != std::string::npos);

    auto result = first->wait();
    CHECK(result.exit_code == 0);
    // The first run applied it once; a third run finds nothing to do.
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
    auto third = run_tool(args, env);
    CHECK(third.exit_code == 0);
    CHECK(third.out.find("nothing to apply") != std::string::npos);
}

TEST_CASE("the lock holder is named even when it is not safe-migrate") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE t (a int);\n");
    auto holder = db.connect("dba-console");
    holder->exec("SELECT pg_advisory_lock(" + std::to_string(sm::db::k_migration_lock_key) + ")");
    auto run = run_tool({"--migrations-dir", dir.path().string(), "execute", "--lock-wait", "0"},
                        {{"DATABASE_URL", db.url()}});
    CHECK(run.exit_code == 6);
    CHECK(run.err.find("pid " + std::to_string(holder->backend_pid()) +
                       " (application 'dba-console', client 127.0.0.1") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('t') IS NULL") == "t");
}

TEST_CASE("a migration blocked by an open transaction is retried and readers are not stalled") {
    TestDatabase db;
    db.query("CREATE TABLE busy (id int); INSERT INTO busy SELECT generate_series(1, 1000)");
    MigrationDir dir;
    dir.write("1_add.up.sql", "ALTER TABLE busy ADD COLUMN note text;\n");

    // Another session reads the table in an open transaction: it holds
    // ACCESS SHARE until it ends, which the ALTER's ACCESS EXCLUSIVE must wait for.
    // It stays active (not idle in transaction) and young enough for
    // --blocker-age, so preflight lets the run start and the retries are tested.
    auto blocker = db.connect("blocker");
    blocker->exec("BEGIN");
    blocker->exec("SELECT count(*) FROM busy");
    std::thread sleeper([&] { blocker->exec("SELECT pg_sleep(3)"); });
    std::this_thread::sleep_for(300ms);

    // A reader keeps querying the table throughout and measures each query.
    std::atomic<bool> stop{false};
    std::atomic<long> worst_ms{0};
    std::atomic<int> reads{0};
    std::thread reader([&] {
        auto session = db.connect("reader");
        while (!stop) {
            auto t0 = std::chrono::steady_clock::now();
            session->exec("SELECT count(*) FROM busy");
            long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
            worst_ms = std::max(worst_ms.load(), ms);
            ++reads;
            std::this_thread::sleep_for(20ms);
        }
    });

    auto run = start_tool({"--migrations-dir", dir.path().string(), "execute", "--lock-timeout",
                           "200ms", "--lock-retries", "30", "--blocker-age", "1h"},
                          {{"DATABASE_URL", db.url()}});
    sleeper.join();
    CHECK(run->running());  // still retrying while the blocker is open
    blocker->exec("COMMIT");
    auto result = run->wait_for(30s);
    stop = true;
    reader.join();

    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(result->exit_code == 0);
    CHECK(result->err.find("lock timeout at 1_add.up.sql:1 (attempt 1 of 31)") !=
          std::string::npos);
    CHECK(
        db.scalar("SELECT count(*) > 0 FROM safe_migrate.events WHERE kind = 'migration.retry'") ==
        "t");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' "
                    "AND column_name = 'note'") == "1");
    // Without lock_timeout the reader would have queued behind the ALTER for
    // the blocker's full 3 seconds; with it, each wait is bounded by ~200ms.
    INFO("worst read " << worst_ms << "ms over " << reads << " reads");
    CHECK(reads > 20);
    CHECK(worst_ms < 1500);
}

}  // namespace locking_test
