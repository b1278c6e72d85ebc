// kill -9 of execute at random moments of a multi-migration run: whatever the
// moment, the history matches the schema (a no-transaction migration stopped
// midway shows in safe_migrate.progress), and a re-run completes.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace pipeline_kill_test {

using namespace sm::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int k_count = 8;  // migrations 1..8, each creating t_<version>
constexpr int k_no_tx = 5;  // builds an index CONCURRENTLY: runs statement by statement

// Sleeps widen the windows between statements and between migrations.
void write_migrations(const MigrationDir& dir) {
    const char* sleeps[k_count + 1] = {"", "0", "0.05", "0.2", "0.1", "", "0.15", "0", "0.2"};
    for (int v = 1; v <= k_count; ++v) {
        std::string n = std::to_string(v);
        std::string sql;
        if (v == k_no_tx) {
            // Idempotent statements, as a no-transaction migration must be: a
            // kill between a statement and its progress record re-runs it.
            sql =
                "CREATE TABLE IF NOT EXISTS t_" + n + " AS SELECT generate_series(1, 1000) AS a;\n";
            sql += "SELECT pg_sleep(0.1);\n";
            sql += "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_" + n + "_a_idx";
            sql += " ON t_" + n + " (a);\n";
            sql += "SELECT pg_sleep(0.1);\n";
        } else {
            sql = "CREATE TABLE t_" + n + " (a int);\n";
            sql += "INSERT INTO t_" + n;
            sql += " VALUES (" + n + ");\n";
            sql += "SELECT pg_sleep(";
            sql += sleeps[v];
            sql += ");\n";
        }
        std::string stem = n + "_t";
        stem += n;
        dir.write(stem + ".up.sql", sql);
    }
}

std::set<int> versions(const TestDatabase& db, const std::string& sql) {
    std::set<int> out;
    for (const auto& row : db.query(sql).rows) {
        out.insert(std::stoi(row[0].value_or("0")));
    }
    return out;
}

std::string show(const std::set<int>& s) {
    std::ostringstream out;
    out << '{';
    for (int v : s) {
        out << (v == *s.begin() ? "" : ",") << v;
    }
    out << '}';
    return out.str();
}

struct State {
    std::set<int> history;
    std::set<int> tables;
    std::set<int> progress;
    std::set<int> invalid;  // tables with an INVALID index
};

State read_state(const TestDatabase& db) {
    State s;
    if (db.scalar("SELECT to_regclass('safe_migrate.history') IS NOT NULL") == "t") {
        s.history = versions(db, "SELECT version FROM safe_migrate.history");
    }
    if (db.scalar("SELECT to_regclass('safe_migrate.progress') IS NOT NULL") == "t") {
        s.progress = versions(db, "SELECT version FROM safe_migrate.progress");
    }
    s.tables = versions(db,
                        "SELECT substr(relname, 3) FROM pg_class WHERE relkind = 'r' AND "
                        "relnamespace = 'public'::regnamespace AND relname ~ '^t_[0-9]+$'");
    s.invalid = versions(db,
                         "SELECT substr(c.relname, 3) FROM pg_index i JOIN pg_class c ON c.oid = "
                         "i.indrelid WHERE NOT i.indisvalid AND c.relname ~ '^t_[0-9]+$'");
    return s;
}

// The killed runner's backends end on their own (a dead client is noticed at
// the next read, or within client_connection_check_interval); until then a
// statement already sent may still commit.
void wait_for_runner_to_go(const TestDatabase& db) {
    for (int i = 0; i < 600; ++i) {
        if (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND application_name LIKE 'safe-migrate%'") == "0") {
            return;
        }
        std::this_thread::sleep_for(25ms);
    }
    FAIL("the killed runner's sessions are still there after 15 s");
}

// The history matches the schema: applied versions are a prefix 1..k whose
// tables exist; a table beyond it belongs only to the no-transaction migration,
// stopped midway and recorded in progress (its index may be INVALID).
void check_consistent(const State& s) {
    INFO("history " << show(s.history) << ", tables " << show(s.tables) << ", progress "
                    << show(s.progress) << ", invalid indexes on " << show(s.invalid));
    int k = static_cast<int>(s.history.size());
    CHECK((s.history.empty() || *s.history.rbegin() == k));
    for (int v : s.history) {
        CHECK(s.tables.count(v) == 1);
        CHECK(s.progress.count(v) == 0);
    }
    for (int v : s.tables) {
        if (s.history.count(v) == 0) {
            CHECK(v == k_no_tx);
            CHECK(v == k + 1);
            CHECK(s.progress.count(v) == 1);
        }
    }
    for (int v : s.progress) {
        CHECK(v == k_no_tx);
    }
    for (int v : s.invalid) {
        CHECK(v == k_no_tx);
        CHECK(s.history.count(v) == 0);
    }
}

std::vector<std::string> execute_args(const MigrationDir& dir) {
    return {"--migrations-dir", dir.path().string(), "execute", "--lock-wait", "30s"};
}

unsigned seed_from_env() {
    if (const char* s = std::getenv("SM_KILL_SEED")) {
        return static_cast<unsigned>(std::stoul(s));
    }
    return std::random_device{}();
}

}  // namespace

TEST_CASE(
    "pipeline: kill -9 at random moments keeps history equal to the schema and re-runs finish") {
    MigrationDir dir;
    write_migrations(dir);
    auto args = execute_args(dir);

    // How long a whole run takes here: the kills land anywhere in it.
    std::chrono::milliseconds full{0};
    {
        TestDatabase db;
        auto t0 = Clock::now();
        auto run = run_tool(args, {{"DATABASE_URL", db.url()}});
        full = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
        INFO(run.all());
        REQUIRE(run.exit_code == 0);
        check_consistent(read_state(db));
        REQUIRE(read_state(db).history.size() == k_count);
    }
    const unsigned seed = seed_from_env();
    INFO("seed " << seed << " (SM_KILL_SEED reproduces it); a full run takes " << full.count()
                 << " ms");
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> delay_ms(0, std::max(600, static_cast<int>(full.count())));

    constexpr int k_rounds = 24;
    int killed = 0;
    int partial = 0;
    for (int round = 0; round < k_rounds; ++round) {
        TestDatabase db;
        const int delay = delay_ms(random);
        INFO("round " << round << ": kill after " << delay << " ms");
        auto run = start_tool(args, {{"DATABASE_URL", db.url()}});
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        run->send_signal(SIGKILL);
        auto result = run->wait();
        INFO("the runner " << result.how_it_ended() << "\n" << result.out << result.err);
        CHECK((result.signal == SIGKILL || result.exit_code == 0));
        killed += result.signal == SIGKILL ? 1 : 0;
        wait_for_runner_to_go(db);

        State state = read_state(db);
        check_consistent(state);
        partial += state.progress.empty() ? 0 : 1;

        // Every few rounds (and the last), a re-run finishes the job.
        if (round % 4 == 3 || round == k_rounds - 1) {
            auto rerun = run_tool(args, {{"DATABASE_URL", db.url()}});
            INFO(rerun.all());
            CHECK(rerun.exit_code == 0);
            State done = read_state(db);
            check_consistent(done);
            CHECK(done.history.size() == k_count);
            CHECK(done.tables.size() == k_count);
            CHECK(done.progress.empty());
            CHECK(done.invalid.empty());
            CHECK(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                            "database = (SELECT oid FROM pg_database WHERE datname = "
                            "current_database())") == "0");
        }
    }
    INFO(killed << " of " << k_rounds << " runs killed midway, " << partial
                << " left a partial no-transaction migration");
    CHECK(killed >= k_rounds / 2);  // the kills landed inside runs, not after them
}

}  // namespace pipeline_kill_test
