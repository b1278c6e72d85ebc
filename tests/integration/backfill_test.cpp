// The backfill runner: key-range batches of a phase=backfill migration, with
// resume after kill -9, throttling and pause/resume from another process.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backfill_test {

using namespace sm::test;
using namespace std::chrono_literals;

namespace {

// Polls sql on db until it returns expected (true) or timeout passes (false).
bool becomes(const TestDatabase& db, const std::string& sql, const std::string& expected,
             std::chrono::milliseconds timeout = 30s, std::chrono::milliseconds poll = 50ms) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (db.scalar(sql) == expected) {
            return true;
        }
        std::this_thread::sleep_for(poll);
    }
    return false;
}

// accounts(id, balance, doubled, n): rows rows, doubled NULL, n 0.
void accounts(const TestDatabase& db, int rows, const std::string& name = "accounts") {
    db.query("CREATE TABLE " + name +
             " (id bigint PRIMARY KEY, balance int NOT NULL, doubled bigint, n int NOT NULL "
             "DEFAULT 0, touched int NOT NULL DEFAULT 0)");
    db.query("INSERT INTO " + name + " (id, balance) SELECT g, (g::bigint * 7919) % 1000 FROM " +
             "generate_series(1, " + std::to_string(rows) + ") g");
}

// Waits until a runner started in the background has made its progress table.
void wait_for_backfill_table(const TestDatabase& db) {
    REQUIRE(becomes(db,
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'safe_migrate' AND "
                    "tablename = 'backfill'",
                    "1"));
}

const char* k_fill =
    "-- safe-migrate: phase=backfill\n-- safe-migrate: change=doubled\n"
    "UPDATE accounts SET doubled = balance * 2, n = n + 1;\n";

std::string checksum_sql(const std::string& table) {
    return "SELECT md5(string_agg(id || ':' || coalesce(doubled::text, '-') || ':' || n, ',' "
           "ORDER BY id)) FROM " +
           table;
}

const char* k_slow_config =
    "[backfill]\nbatch_size = 200\nmax_batch_size = 200\nbatch_time = \"1s\"\n"
    "sleep_ratio = 3\npause_poll = \"100ms\"\n";

// A reader holds accounts (in an open transaction) and an ALTER queues behind it,
// until release().
class QueuedAlter {
  public:
    explicit QueuedAlter(const TestDatabase& db)
        : m_reader(db.connect("reader")), m_ddl(db.connect("ddl")) {
        m_reader->exec("BEGIN; SELECT count(*) FROM accounts");
        m_queued =
            std::thread([this] { m_ddl->exec("ALTER TABLE accounts ADD COLUMN note text"); });
    }
    ~QueuedAlter() {
        try {
            release();
        } catch (const std::exception&) {
            m_queued.detach();  // the session is gone; the test has failed already
        }
    }
    QueuedAlter(const QueuedAlter&) = delete;
    QueuedAlter& operator=(const QueuedAlter&) = delete;
    // What the backfill says while the ALTER waits.
    std::string paused_reason() const {
        return "sessions wait for locks on public.accounts: pid " +
               std::to_string(m_ddl->backend_pid());
    }
    void release() {
        if (m_queued.joinable()) {
            m_reader->exec("COMMIT");
            m_queued.join();
        }
    }

  private:
    std::unique_ptr<sm::db::Session> m_reader;
    std::unique_ptr<sm::db::Session> m_ddl;
    std::thread m_queued;
};

}  // namespace

TEST_CASE("a backfill runs in key-range batches and loses no concurrent write") {
    TestDatabase db;
    accounts(db, 20000);
    Project p;
    p.write_config("[backfill]\nbatch_size = 300\nbatch_time = \"20ms\"\nsleep_ratio = 0.2\n");
    p.migration("1_fill.up.sql", k_fill);

    // The application writes meanwhile: its own counter, and new rows it fills itself.
    std::atomic<bool> stop{false};
    std::atomic<int> writes{0};
    std::thread writer([&] {
        auto s = db.connect("writer");
        for (int i = 0; !stop; ++i) {
            s->exec("UPDATE accounts SET touched = touched + 1 WHERE id = " +
                    std::to_string(1 + (i * 7907) % 20000));
            s->exec("INSERT INTO accounts (id, balance, doubled) VALUES (" +
                    std::to_string(100000 + i) + ", 5, 10)");
            writes += 1;
        }
    });
    auto run = run_tool(p.args(db, {"execute"}));
    stop = true;
    writer.join();
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.err.find("backfill 1_fill: ") != std::string::npos);
    // Every row once; the new rows the walk reached after they were written, once too.
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE doubled IS DISTINCT FROM balance * 2 "
                    "OR n > 1 OR (id <= 20000 AND n <> 1)") == "0");
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE id > 20000") ==
          std::to_string(writes.load()));
    CHECK(db.scalar("SELECT sum(touched) FROM accounts") == std::to_string(writes.load()));
    CHECK(db.scalar("SELECT state || ' ' || (rows_done >= 20000) || ' ' || (batches > 5) FROM "
                    "safe_migrate.backfill") == "done true true");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '1'") == "1");
}

TEST_CASE("an INSERT ... SELECT backfill walks a composite primary key") {
    TestDatabase db;
    db.query("CREATE TABLE src (a int, b text, v text, PRIMARY KEY (a, b))");
    db.query("INSERT INTO src SELECT g % 37, 'k' || g, 'v' || g FROM generate_series(1, 5000) g");
    db.query("CREATE TABLE dst (a int, b text, v text, PRIMARY KEY (a, b))");
    Project p;
    p.write_config("[backfill]\nbatch_size = 100\nmax_batch_size = 100\nsleep_ratio = 0\n");
    p.migration("1_copy.up.sql",
                "-- safe-migrate: phase=backfill\n"
                "INSERT INTO dst (a, b, v) SELECT s.a, s.b, upper(s.v) FROM src s "
                "WHERE s.v <> 'v7' ON CONFLICT DO NOTHING;\n");
    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM dst") == "4999");
    CHECK(db.scalar("SELECT count(*) FROM src s JOIN dst d USING (a, b) WHERE d.v = upper(s.v)") ==
          "4999");
    CHECK(db.scalar("SELECT batches >= 50 FROM safe_migrate.backfill") == "t");
}

TEST_CASE("a backfill statement that cannot be batched is refused with the reason") {
    TestDatabase db;
    db.query("CREATE TABLE t (x int)");
    Project p;
    p.write_config("");
    p.migration("1_del.up.sql", "-- safe-migrate: phase=backfill\nTRUNCATE t;\n");
    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("1_del.up.sql:2: phase=backfill: a backfill migration holds one UPDATE "
                       "..., DELETE ... or INSERT ... SELECT statement") != std::string::npos);

    p.migration("1_del.up.sql", "-- safe-migrate: phase=backfill\nUPDATE t SET x = 1;\n");
    auto no_key = run_tool(p.args(db, {"execute"}));
    INFO(no_key.all());
    CHECK(no_key.exit_code == 3);
    CHECK(no_key.err.find("backfill 1_del: table public.t has no primary key") !=
          std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
}

TEST_CASE("a backfill killed with SIGKILL resumes after its last batch and applies none twice") {
    TestDatabase db;
    accounts(db, 30000);
    accounts(db, 30000, "twin");
    db.query("UPDATE twin SET doubled = balance * 2, n = n + 1");
    Project p;
    p.write_config(k_slow_config);
    p.migration("1_fill.up.sql", k_fill);

    std::string before = "0";
    for (int kill = 0; kill < 2; ++kill) {
        auto child = start_tool(p.args(db, {"execute"}));
        wait_for_backfill_table(db);
        REQUIRE(becomes(db, "SELECT rows_done > " + before + " FROM safe_migrate.backfill", "t"));
        child->send_signal(kill == 0 ? SIGKILL : SIGINT);
        auto result = to_run(child->wait());
        INFO(result.all());
        if (kill == 1) {
            CHECK(result.exit_code == 130);
            CHECK(result.err.find("the committed batches stay and a re-run continues after them") !=
                  std::string::npos);
        }
        CHECK(db.scalar("SELECT state <> 'done' FROM safe_migrate.backfill") == "t");
        // A batch sent before the kill may still commit: wait for its backend to end.
        REQUIRE(becomes(db,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name LIKE 'safe-migrate%'",
                        "0"));
        before = db.scalar("SELECT rows_done FROM safe_migrate.backfill");
    }
    // Each committed batch is exactly the rows its progress row counts.
    CHECK(db.scalar("SELECT (SELECT count(*) FROM accounts WHERE n = 1) = rows_done FROM "
                    "safe_migrate.backfill") == "t");
    auto rerun = run_tool(p.args(db, {"execute"}));
    INFO(rerun.all());
    REQUIRE(rerun.exit_code == 0);
    CHECK(rerun.err.find("backfill 1_fill: resuming after ") != std::string::npos);
    CHECK(db.scalar(checksum_sql("accounts")) == db.scalar(checksum_sql("twin")));
    CHECK(db.scalar("SELECT max(n) FROM accounts") == "1");
}

TEST_CASE(
    "a DELETE backfill killed with SIGKILL resumes and ends with the one-shot DELETE's rows") {
    TestDatabase db;
    accounts(db, 30000);
    accounts(db, 30000, "twin");
    const std::string doomed = " WHERE balance % 3 = 0";
    db.query("DELETE FROM twin" + doomed);
    std::string matching = db.scalar("SELECT count(*) FROM accounts" + doomed);
    Project p;
    p.write_config(k_slow_config);
    p.migration("1_purge.up.sql",
                "-- safe-migrate: phase=backfill\nDELETE FROM accounts" + doomed + ";\n");

    auto child = start_tool(p.args(db, {"execute"}));
    wait_for_backfill_table(db);
    REQUIRE(becomes(db, "SELECT rows_done > 0 FROM safe_migrate.backfill", "t"));
    child->send_signal(SIGKILL);
    child->wait();
    REQUIRE(becomes(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name LIKE 'safe-migrate%'",
                    "0"));
    CHECK(db.scalar("SELECT state <> 'done' FROM safe_migrate.backfill") == "t");
    // The committed batches deleted exactly the rows the progress row counts.
    CHECK(db.scalar("SELECT " + matching + " - (SELECT count(*) FROM accounts" + doomed +
                    ") = rows_done FROM safe_migrate.backfill") == "t");
    CHECK(db.scalar("SELECT count(*) FROM accounts" + doomed) != "0");

    auto rerun = run_tool(p.args(db, {"execute"}));
    INFO(rerun.all());
    REQUIRE(rerun.exit_code == 0);
    CHECK(rerun.err.find("backfill 1_purge: resuming after ") != std::string::npos);
    const std::string ids = "SELECT md5(string_agg(id || ':' || balance, ',' ORDER BY id)) FROM ";
    CHECK(db.scalar(ids + "accounts") == db.scalar(ids + "twin"));
    CHECK(db.scalar("SELECT rows_done FROM safe_migrate.backfill") == matching);
    CHECK(db.scalar("SELECT state FROM safe_migrate.backfill") == "done");
}

TEST_CASE("a backfill killed with SIGKILL at 10 random moments ends equal to one UPDATE") {
    TestDatabase db;
    accounts(db, 120000);
    accounts(db, 120000, "twin");
    db.query("UPDATE twin SET doubled = balance * 2, n = n + 1");
    Project p;
    p.write_config(
        "[backfill]\nbatch_size = 500\nmax_batch_size = 500\nbatch_time = \"20ms\"\n"
        "sleep_ratio = 0.5\n");
    p.migration("1_fill.up.sql", k_fill);

    // Seeded so that a failure can be replayed: SM_TEST_SEED=<seed> chooses it.
    const char* chosen = std::getenv("SM_TEST_SEED");
    unsigned seed =
        chosen != nullptr ? static_cast<unsigned>(std::stoul(chosen)) : std::random_device{}();
    std::mt19937 random(seed);
    // A moment: a random number of rows past the last run's (at most 2500 of
    // 120000: 10 kills end far from the end), then a random part of a batch cycle.
    std::uniform_int_distribution<int> rows_past(1, 2500);
    std::uniform_int_distribution<int> delay_ms(0, 40);
    std::cout << "backfill kill test: SM_TEST_SEED=" << seed << std::endl;
    INFO("SM_TEST_SEED=" << seed);

    std::string done = "0";
    for (int kill = 0; kill < 10; ++kill) {
        // Each run resumes where the last one's committed batches end, makes
        // progress, and is killed at a random moment.
        auto child = start_tool(p.args(db, {"execute"}));
        wait_for_backfill_table(db);
        int target = std::stoi(done) + rows_past(random);
        REQUIRE(becomes(
            db, "SELECT rows_done >= " + std::to_string(target) + " FROM safe_migrate.backfill",
            "t", 30s, 5ms));
        int delay = delay_ms(random);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        child->send_signal(SIGKILL);
        auto killed = to_run(child->wait());
        INFO("kill " << kill << " at " << target << " rows + " << delay << "ms: " << killed.all());
        if (kill > 0) {
            CHECK(killed.err.find("backfill 1_fill: resuming after ") != std::string::npos);
        }
        REQUIRE(db.scalar("SELECT state <> 'done' FROM safe_migrate.backfill") == "t");
        // A batch sent before the kill may still commit: wait for its backend to end.
        REQUIRE(becomes(db,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name LIKE 'safe-migrate%'",
                        "0"));
        // The committed batches are exactly the rows the progress row counts, each once.
        CHECK(db.scalar("SELECT (SELECT count(*) FROM accounts WHERE n = 1) = rows_done AND "
                        "(SELECT max(n) FROM accounts) <= 1 FROM safe_migrate.backfill") == "t");
        done = db.scalar("SELECT rows_done FROM safe_migrate.backfill");
    }
    auto last = run_tool(p.args(db, {"execute"}));
    INFO(last.all());
    REQUIRE(last.exit_code == 0);
    CHECK(last.err.find("backfill 1_fill: resuming after ") != std::string::npos);
    CHECK(db.scalar("SELECT state FROM safe_migrate.backfill") == "done");
    CHECK(db.scalar(checksum_sql("accounts")) == db.scalar(checksum_sql("twin")));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '1'") == "1");
}

TEST_CASE("a backfill pauses while check_sql is not true and goes on when it is") {
    TestDatabase db;
    accounts(db, 2000);
    db.query("CREATE TABLE hold (x int)");
    db.query("INSERT INTO hold VALUES (1)");
    Project p;
    p.write_config(
        "[backfill]\nsleep_ratio = 0\npause_poll = \"100ms\"\n"
        "check_sql = \"SELECT NOT EXISTS (SELECT 1 FROM hold)\"\n");
    p.migration("1_fill.up.sql", k_fill);
    auto child = start_tool(p.args(db, {"execute"}));
    wait_for_backfill_table(db);
    REQUIRE(becomes(db, "SELECT state || ': ' || paused_reason FROM safe_migrate.backfill",
                    "paused: [backfill] check_sql returned f, not true"));
    auto status = run_tool(p.args(db, {"backfill", "status", "--format", "json"}));
    INFO(status.all());
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("\"paused_reason\": \"[backfill] check_sql returned f, not true\"") !=
          std::string::npos);
    CHECK(status.out.find("\"rows_done\": 0") != std::string::npos);
    db.query("DELETE FROM hold");
    auto result = to_run(child->wait());
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("paused: [backfill] check_sql returned f, not true") !=
          std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE n = 1") == "2000");
}

TEST_CASE("a backfill pauses while other sessions wait for locks on its table") {
    TestDatabase db;
    accounts(db, 30000);
    Project p;
    p.write_config(k_slow_config);
    p.migration("1_fill.up.sql", k_fill);
    auto child = start_tool(p.args(db, {"execute"}));
    wait_for_backfill_table(db);
    REQUIRE(becomes(db, "SELECT rows_done > 0 FROM safe_migrate.backfill", "t"));

    QueuedAlter alter(db);
    CHECK(becomes(db, "SELECT paused_reason FROM safe_migrate.backfill", alter.paused_reason()));
    std::string paused_at = db.scalar("SELECT rows_done FROM safe_migrate.backfill");
    std::this_thread::sleep_for(300ms);
    CHECK(db.scalar("SELECT rows_done FROM safe_migrate.backfill") == paused_at);
    alter.release();
    auto result = to_run(child->wait());
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE n <> 1") == "0");
}

TEST_CASE("a batch that queued behind a waiting lock pauses until the table is free") {
    TestDatabase db;
    accounts(db, 30000);
    // check_sql sleeps while gate is armed: the lock check (read before it) has
    // passed, and the ALTER below queues before the batch starts.
    db.query("CREATE TABLE gate (armed bool NOT NULL); INSERT INTO gate VALUES (false)");
    Project p;
    p.write_config(std::string(k_slow_config) +
                   "check_sql = \"SELECT CASE WHEN (SELECT armed FROM gate) THEN (SELECT true "
                   "FROM pg_sleep(1.5)) ELSE true END\"\n[execute]\nlock_timeout = \"300ms\"\n");
    p.migration("1_fill.up.sql", k_fill);
    auto child = start_tool(p.args(db, {"execute"}));
    wait_for_backfill_table(db);
    REQUIRE(becomes(db, "SELECT rows_done > 0 FROM safe_migrate.backfill", "t"));
    db.query("UPDATE gate SET armed = true");
    // This database's sleep: other tests on the shared server sleep too.
    REQUIRE(becomes(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                    "AND datname = current_database()",
                    "1"));
    db.query("UPDATE gate SET armed = false");

    QueuedAlter alter(db);
    // The batch times out behind the ALTER; the runner pauses instead of
    // spending its retries on a lock that stays taken.
    CHECK(becomes(db, "SELECT paused_reason FROM safe_migrate.backfill", alter.paused_reason()));
    alter.release();
    auto result = to_run(child->wait());
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("lock timeout at 1_fill") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE n <> 1") == "0");
}

TEST_CASE("backfill pause and resume from another process hold and release the runner") {
    TestDatabase db;
    accounts(db, 30000);
    Project p;
    p.write_config(k_slow_config);
    p.migration("1_fill.up.sql", k_fill);
    auto child = start_tool(p.args(db, {"execute"}));
    wait_for_backfill_table(db);
    REQUIRE(becomes(db, "SELECT rows_done > 0 FROM safe_migrate.backfill", "t"));

    auto pause = run_tool(p.args(db, {"backfill", "pause", "--format", "json"}));
    INFO(pause.all());
    CHECK(pause.exit_code == 0);
    CHECK(pause.out.find("\"action\": \"pause\"") != std::string::npos);
    CHECK(pause.out.find("\"pause_requested\": true") != std::string::npos);
    REQUIRE(becomes(db, "SELECT state FROM safe_migrate.backfill", "paused"));
    std::string held = db.scalar("SELECT rows_done FROM safe_migrate.backfill");
    std::this_thread::sleep_for(400ms);
    CHECK(db.scalar("SELECT rows_done FROM safe_migrate.backfill") == held);
    auto status = run_tool(p.args(db, {"backfill", "status"}));
    INFO(status.all());
    CHECK(status.out.find("1_fill (public.accounts): paused, " + held + " rows") !=
          std::string::npos);
    CHECK(status.out.find("paused: paused by 'safe-migrate backfill pause'; go on with: "
                          "safe-migrate backfill resume") != std::string::npos);

    std::string hint = status.out.substr(status.out.find("go on"));
    auto resume = run_tool(p.args(db, hinted_args(hint.substr(0, hint.find('\n')))));
    INFO(resume.all());
    CHECK(resume.exit_code == 0);
    auto result = to_run(child->wait());
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(db.scalar("SELECT state FROM safe_migrate.backfill") == "done");
    auto done = run_tool(p.args(db, {"backfill", "status", "--format", "json"}));
    CHECK(done.out.find("\"percent\": 100") != std::string::npos);
}

TEST_CASE("a backfill pauses while the replicas' lag cannot be read and names the grant") {
    TestDatabase db;
    accounts(db, 2000);
    db.query("DROP ROLE IF EXISTS " + db.name() + "_runner");
    std::string role = db.name() + "_runner";
    db.query("CREATE ROLE " + role + " LOGIN PASSWORD 'runner-secret'");
    db.query("GRANT CREATE ON DATABASE " + db.name() + " TO " + role);
    db.query("ALTER TABLE accounts OWNER TO " + role);
    // A WAL receiver: a physical replication client pg_stat_replication lists.
    sm::util::TempDir wal("sm-wal");
    sm::util::ProcessSpec receiver;
    receiver.program = (cluster().bindir / "pg_receivewal").string();
    receiver.args = {"-D", wal.path().string(), "-d",
                     "host=127.0.0.1 port=" + std::to_string(cluster().port) +
                         " user=postgres passfile=" + cluster().passfile.string(),
                     "--no-loop"};
    sm::util::ChildProcess walreceiver(receiver);
    REQUIRE(becomes(db, "SELECT count(*) FROM pg_stat_replication", "1"));

    Project p;
    p.write_config("[backfill]\nmax_replica_lag = \"30s\"\npause_poll = \"100ms\"\n");
    p.migration("1_fill.up.sql", k_fill);
    std::string url = "postgresql://" + role +
                      ":runner-secret@127.0.0.1:" + std::to_string(cluster().port) + "/" +
                      db.name();
    auto child = start_tool(p.args({"--database-url", url, "execute"}));
    wait_for_backfill_table(db);
    CHECK(becomes(db, "SELECT paused_reason FROM safe_migrate.backfill",
                  "the replicas' lag cannot be read: role " + role +
                      " may not see pg_stat_replication's details; fix: GRANT pg_monitor TO " +
                      role + ";"));
    CHECK(db.scalar("SELECT rows_done FROM safe_migrate.backfill") == "0");
    db.query("GRANT pg_monitor TO " + role);
    auto result = to_run(child->wait());
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE n = 1") == "2000");
    walreceiver.send_signal(SIGTERM);
    walreceiver.wait();
    db.query("REASSIGN OWNED BY " + role + " TO postgres");
    db.query("DROP OWNED BY " + role);
    db.query("DROP ROLE " + role);
}

}  // namespace backfill_test
