// SIGTERM / SIGINT in the middle of a migration.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace signal_test {

using namespace sm::test;
using namespace std::chrono_literals;

namespace {

// The migration sleeps only when the session asks for it (PGOPTIONS), so the
// same file runs quickly on the re-run.
constexpr const char* k_slow_migration =
    "CREATE TABLE started (a int);\n"
    "SELECT pg_sleep(CASE WHEN current_setting('sm.test_sleep', true) = 'on' THEN 60 ELSE 0 END);\n"
    "CREATE TABLE finished (a int);\n";

void wait_for_sleep(const TestDatabase& db) {
    for (int i = 0; i < 400; ++i) {
        if (db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(CASE%' "
                "AND state = 'active' AND datname = current_database()") == "1") {
            return;
        }
        std::this_thread::sleep_for(25ms);
    }
    FAIL("the migration never started sleeping");
}

void interrupt_mid_migration(int signo, const std::string& name) {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_first.up.sql", "CREATE TABLE first (a int);\n");
    dir.write("2_slow.up.sql", k_slow_migration);
    // Sent to the server behind 2 while 2 sleeps: the interrupt must drop it.
    dir.write("3_after.up.sql", "CREATE TABLE after_slow (a int);\n");
    std::vector<std::string> args = {"--migrations-dir", dir.path().string(), "execute"};

    auto run = start_tool(args, {{"DATABASE_URL", db.url()}, {"PGOPTIONS", "-c sm.test_sleep=on"}});
    wait_for_sleep(db);
    auto sent = std::chrono::steady_clock::now();
    run->send_signal(signo);
    auto result = run->wait_for(15s);
    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(std::chrono::steady_clock::now() - sent < 5s);  // cancelled on the server, not waited out
    CHECK(result->exit_code == 130);
    CHECK(result->err.find("safe-migrate: error: interrupted by " + name +
                           " while applying 2_slow") != std::string::npos);

    // History matches the schema: 1 applied, 2 rolled back entirely, 3 never run.
    CHECK(db.scalar("SELECT string_agg(version::text, ',') FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT to_regclass('first') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('started') IS NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('after_slow') IS NULL") == "t");
    CHECK(db.scalar(
              "SELECT count(*) FROM safe_migrate.events WHERE kind IN ('migration.interrupted', "
              "'run.interrupted')") == "2");
    // Nothing of ours is still running or holding the lock.
    // (pg_locks is cluster-wide: other tests hold advisory locks in their own databases.)
    CHECK(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())") == "0");

    auto rerun = run_tool(args, {{"DATABASE_URL", db.url()}});
    INFO(rerun.all());
    CHECK(rerun.exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('finished') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
}

}  // namespace

TEST_CASE("SIGTERM mid-migration cancels it on the server, rolls back, and a re-run completes") {
    interrupt_mid_migration(SIGTERM, "SIGTERM");
}

TEST_CASE("SIGINT mid-migration behaves like SIGTERM") {
    interrupt_mid_migration(SIGINT, "SIGINT");
}

TEST_CASE(
    "kill -9 mid-migration leaves history consistent, the lock free, and a re-run completes") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_slow.up.sql", k_slow_migration);
    // Sent to the server behind 1 while 1 sleeps: it must not run either.
    dir.write("2_after.up.sql", "CREATE TABLE after_slow (a int);\n");
    std::vector<std::string> args = {"--migrations-dir", dir.path().string(), "execute",
                                     "--lock-wait", "20s"};
    auto run = start_tool(args, {{"DATABASE_URL", db.url()}, {"PGOPTIONS", "-c sm.test_sleep=on"}});
    wait_for_sleep(db);
    run->send_signal(SIGKILL);
    run->wait();
    // The lock session ends with the process; the migration session's server
    // side notices the dead client within client_connection_check_interval
    // and rolls back, so the re-run does not wait for the 60 s sleep.
    auto killed = std::chrono::steady_clock::now();
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT to_regclass('started') IS NULL") == "t");
    CHECK(db.scalar("SELECT to_regclass('after_slow') IS NULL") == "t");
    auto rerun = run_tool(args, {{"DATABASE_URL", db.url()}});
    INFO(rerun.all());
    CHECK(rerun.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");
    CHECK(std::chrono::steady_clock::now() - killed < 15s);
}

}  // namespace signal_test
