// What applying a transactional migration costs the target: one round trip on
// the migration session (BEGIN, the settings, the statements, the history row
// with event migration.applied, and COMMIT in one pipelined batch) and none on the
// control session. Pinned here so the per-migration cost cannot grow unseen:
// on a server that flushes each commit to disk, execute's speed is its round
// trips and its commits.
#include <algorithm>
#include <catch2/catch.hpp>

#include "db/history.hpp"
#include "deploy/reporter.hpp"
#include "deploy/request.hpp"
#include "deploy/run.hpp"
#include "executor/apply.hpp"
#include "planner/policy.hpp"
#include "planner/project.hpp"
#include "support/test_database.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace apply_round_trips_test {

using namespace sm::test;

namespace {

constexpr const char* k_run_id = "5b1f0c7e-8d0a-4c1e-9a53-0d2b7f3e6a10";

// What a session sent to the server: its round trips (a batch is one) and, of
// those, the batches that committed a transaction with synchronous_commit off.
struct Traffic {
    int round_trips = 0;
    int async_commits = 0;
    int sent_ahead = 0;   // of the round trips, batches sent while another was in flight
    int schema_made = 0;  // of the round trips, those that create the history schema
};

bool makes_schema(const std::string& sql) {
    return sql.find("CREATE SCHEMA IF NOT EXISTS safe_migrate") != std::string::npos;
}

// A real session that counts the calls that reach the server into a Traffic
// (which outlives the session: deploy::run closes its sessions on return).
class CountingSession final : public sm::db::Session {
  public:
    CountingSession(std::unique_ptr<sm::db::Session> real, Traffic& traffic)
        : m_real(std::move(real)), m_traffic(traffic) {}

    sm::db::QueryResult exec(const std::string& sql) override {
        ++m_traffic.round_trips;
        m_traffic.schema_made += makes_schema(sql) ? 1 : 0;
        return m_real->exec(sql);
    }
    sm::db::QueryResult exec_params(const std::string& sql,
                                    const std::vector<sm::db::Value>& params) override {
        ++m_traffic.round_trips;
        return m_real->exec_params(sql, params);
    }
    sm::db::QueryResult exec_prepared(const std::string& sql,
                                      const std::vector<sm::db::Value>& params) override {
        ++m_traffic.round_trips;
        return m_real->exec_prepared(sql, params);
    }
    std::vector<sm::db::QueryResult> exec_batch(
        const std::vector<sm::db::BatchStatement>& statements) override {
        count(statements);
        return m_real->exec_batch(statements);
    }
    // A batch sent ahead is its round trip (the server starts it without waiting
    // for the client, so it costs less than one).
    void send_batch(const std::vector<sm::db::BatchStatement>& statements) override {
        count(statements);
        m_traffic.sent_ahead += m_in_flight > 0 ? 1 : 0;
        m_real->send_batch(statements);
        ++m_in_flight;
    }
    std::vector<sm::db::QueryResult> receive_batch() override {
        try {
            auto results = m_real->receive_batch();
            --m_in_flight;
            return results;
        } catch (...) {
            m_in_flight = 0;  // a failure drops the batches sent behind it
            throw;
        }
    }
    void cancel() noexcept override { m_real->cancel(); }
    int backend_pid() const override { return m_real->backend_pid(); }
    int server_version() const override { return m_real->server_version(); }
    std::string display_name() const override { return m_real->display_name(); }

  private:
    void count(const std::vector<sm::db::BatchStatement>& statements) {
        ++m_traffic.round_trips;
        bool async = false;
        bool commits = false;
        for (const auto& s : statements) {
            for (size_t i = 0; s.sql.rfind("SELECT set_config(", 0) == 0 && i + 1 < s.params.size();
                 i += 2) {
                async = async || (s.params[i] == "synchronous_commit" && s.params[i + 1] == "off");
            }
            commits = commits || s.sql == "COMMIT";
        }
        m_traffic.async_commits += async && commits ? 1 : 0;
        m_traffic.schema_made += std::any_of(statements.begin(), statements.end(),
                                             [](const auto& s) { return makes_schema(s.sql); })
                                     ? 1
                                     : 0;
    }

    std::unique_ptr<sm::db::Session> m_real;
    Traffic& m_traffic;
    int m_in_flight = 0;
};

struct Applier {
    TestDatabase db;
    MigrationDir dir;
    Traffic migration_traffic;
    Traffic control_traffic;
    CountingSession migration{db.connect("sm-test/migration"), migration_traffic};
    CountingSession control{db.connect("sm-test/lock"), control_traffic};
    sm::core::ExecuteSettings settings;
    sm::executor::RunContext ctx{migration, control, k_run_id, "tester", settings};

    Applier() {
        sm::db::ensure_history_schema(control);
        ctx.commit_asynchronously = true;
    }

    // Applies every migration of dir in order.
    void apply_all() {
        sm::planner::ProjectOptions options;
        options.migrations_dir = dir.path();
        auto project = sm::planner::load_project(options);
        for (const auto& m : project.migrations.migrations) {
            sm::executor::apply_migration(ctx, m, project.up.at(m.version), std::nullopt);
        }
    }
};

// Tells nothing: the tests read what reached the server.
class SilentReporter final : public sm::deploy::Reporter {
  public:
    void target(const std::string&, sm::core::TargetSource) override {}
    void policy_blocked(const sm::planner::Plan&) override {}
    void policy_overridden(const sm::planner::Plan&, const sm::deploy::PolicyOverridden&) override {
    }
    void backup_verified(const sm::backup::Manifest&) override {}
    void applying(const std::string&, bool) override {}
    void applied(const std::string&, std::chrono::milliseconds) override {}
    void finished(const sm::deploy::Result&) override {}
    void dry_run(const sm::deploy::DryRunReport&) override {}
};

// What one whole execute sent: deploy::run as the command line calls it (the
// real boundaries, the default policy, so the gate and preflight run), on a
// fresh database, applying count migrations of one CREATE TABLE each.
struct RunTraffic {
    Traffic control;    // the session that holds the lock and writes events
    Traffic migration;  // the session that runs the migrations
};

// Writes count migrations of one CREATE TABLE each (t1, t2, ...) into dir,
// each with a down file.
void write_creating(MigrationDir& dir, int count) {
    for (int i = 1; i <= count; ++i) {
        std::string id = std::to_string(i) + "_t" + std::to_string(i);
        dir.write(id + ".up.sql",
                  "CREATE TABLE t" + std::to_string(i) + " (id bigint PRIMARY KEY, note text);\n");
        dir.write(id + ".down.sql", "DROP TABLE t" + std::to_string(i) + ";\n");
    }
}

// deploy::run of dir's project on db, with counted sessions; returns its exit code.
int execute_counted(TestDatabase& db, MigrationDir& dir, RunTraffic& traffic) {
    sm::planner::ProjectOptions options;
    options.migrations_dir = dir.path();
    auto project = sm::planner::load_project(options);
    sm::deploy::Request request;
    request.project = &project;
    request.target = {db.url(), sm::core::TargetSource::flag, {}};
    request.settings = project.config.execute;
    request.policy = sm::planner::load_policy(std::string("default"));
    request.quiet = true;
    request.io = sm::deploy::real_boundaries(request.target, project.config);
    request.io.connect = [&](const std::string& role) -> std::unique_ptr<sm::db::Session> {
        return std::make_unique<CountingSession>(
            db.connect("sm-test/" + role), role == "lock" ? traffic.control : traffic.migration);
    };
    SilentReporter reporter;
    return sm::deploy::run(std::move(request), reporter);
}

RunTraffic execute_creating(int count) {
    TestDatabase db;
    MigrationDir dir;
    write_creating(dir, count);
    RunTraffic traffic;
    REQUIRE(execute_counted(db, dir, traffic) == 0);
    REQUIRE(db.scalar("SELECT count(*) FROM safe_migrate.history") == std::to_string(count));
    REQUIRE(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = "
                      "'migration.applied'") == std::to_string(count));
    return traffic;
}

}  // namespace

TEST_CASE("apply: a transactional migration is one round trip, history row and event included") {
    Applier a;
    a.dir.write("1_accounts.up.sql",
                "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL);\n"
                "INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob');\n");
    a.dir.write("2_ledger.up.sql", "CREATE TABLE ledger (id bigint PRIMARY KEY);\n");
    a.dir.write("3_note.up.sql",
                "ALTER TABLE accounts ADD COLUMN note text;\n"
                "COMMENT ON TABLE ledger IS 'money';\n"
                "UPDATE accounts SET note = 'x' WHERE id = 1;\n");
    int migration_before = a.migration_traffic.round_trips;
    int control_before = a.control_traffic.round_trips;

    a.apply_all();

    CHECK(a.migration_traffic.round_trips - migration_before == 3);
    CHECK(a.control_traffic.round_trips - control_before == 0);
    CHECK(a.db.scalar("SELECT string_agg(version::text || ':' || run_id, ',' ORDER BY version) "
                      "FROM safe_migrate.history") ==
          std::string("1:") + k_run_id + ",2:" + k_run_id + ",3:" + k_run_id);
    CHECK(a.db.scalar("SELECT string_agg(version::text || ' ' || actor, ',' ORDER BY version) "
                      "FROM safe_migrate.events WHERE kind = 'migration.applied' "
                      "AND message ~ '^applied in [0-9]+ms$'") == "1 tester,2 tester,3 tester");
    CHECK(a.db.scalar("SELECT count(*) FROM accounts WHERE note = 'x'") == "1");
    CHECK(a.db.scalar("SELECT bool_and(duration_ms >= 0) FROM safe_migrate.history") == "t");
}

TEST_CASE(
    "apply: a failing statement of the batch is named by file and line, nothing of it stays") {
    Applier a;
    a.dir.write("1_ok.up.sql", "CREATE TABLE ok (id bigint PRIMARY KEY);\n");
    a.dir.write("2_bad.up.sql",
                "CREATE TABLE half (id bigint);\n"
                "\n"
                "INSERT INTO missing VALUES (1);\n"
                "CREATE TABLE never (id bigint);\n");
    try {
        a.apply_all();
        FAIL("the migration should have failed");
    } catch (const sm::Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("applying 2_bad failed at 2_bad.up.sql:3: relation "
                                             "\"missing\" does not exist (SQLSTATE 42P01)"));
    }
    CHECK(a.db.scalar("SELECT string_agg(version::text, ',') FROM safe_migrate.history") == "1");
    CHECK(a.db.scalar("SELECT to_regclass('half') IS NULL AND to_regclass('never') IS NULL") ==
          "t");
    CHECK(a.db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.failed' "
                      "AND version = '2' AND message LIKE '%2_bad.up.sql:3%'") == "1");
    // The session is usable again, outside any transaction.
    CHECK(a.migration.exec("SELECT 1").scalar() == "1");
}

// The statements every migration's transaction sends besides its own (BEGIN,
// its settings, its history row with its event, COMMIT) are parsed once per
// session, not once per migration; a migration that drops prepared statements
// (DEALLOCATE) makes the session prepare them again instead of failing the next one.
TEST_CASE("apply: the settings and the history row are prepared once per session") {
    Applier a;
    a.dir.write("1_one.up.sql", "CREATE TABLE one (id bigint PRIMARY KEY);\n");
    a.dir.write("2_two.up.sql", "CREATE TABLE two (id bigint PRIMARY KEY);\n");
    a.dir.write("3_drops.up.sql", "DEALLOCATE ALL;\nCREATE TABLE three (id bigint);\n");
    a.dir.write("4_four.up.sql", "CREATE TABLE four (id bigint PRIMARY KEY);\n");
    a.apply_all();

    CHECK(a.db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                      "safe_migrate.history") == "1,2,3,4");
    CHECK(a.db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = "
                      "'migration.applied'") == "4");
    // On the migration session: each prepared once, after 3 dropped them.
    CHECK(a.migration
              .exec("SELECT string_agg(left(statement, 17), ',' ORDER BY statement) FROM "
                    "pg_prepared_statements")
              .scalar()
              .value_or("none") == "BEGIN,COMMIT,SELECT set_config,WITH h AS (INSERT");
}

TEST_CASE("apply: a migration that fails before its history row leaves the next one whole") {
    Applier a;
    a.dir.write("1_bad.up.sql", "INSERT INTO missing VALUES (1);\n");
    a.dir.write("2_ok.up.sql", "CREATE TABLE ok (id bigint PRIMARY KEY);\n");
    sm::planner::ProjectOptions options;
    options.migrations_dir = a.dir.path();
    auto project = sm::planner::load_project(options);
    const auto& migrations = project.migrations.migrations;
    REQUIRE(migrations.size() == 2);
    // 1 fails after its settings were prepared and before its history row was.
    CHECK_THROWS_AS(sm::executor::apply_migration(
                        a.ctx, migrations[0], project.up.at(migrations[0].version), std::nullopt),
                    sm::Error);
    sm::executor::apply_migration(a.ctx, migrations[1], project.up.at(migrations[1].version),
                                  std::nullopt);
    CHECK(a.db.scalar("SELECT string_agg(version, ',') FROM safe_migrate.history") == "2");
    CHECK(a.db.scalar("SELECT string_agg(version, ',') FROM safe_migrate.events WHERE kind = "
                      "'migration.applied'") == "2");
}

// The whole run's cost per migration, gate, preflight, events and heartbeats
// included: one more transactional migration is one more round trip on the
// migration session, committed asynchronously (no WAL flush of its own), and
// nothing on the control session. The run's own work (lock, gate, preflight,
// run.started, the durable run.finished) does not grow with the migrations.
TEST_CASE(
    "execute: each transactional migration costs one round trip and one asynchronous commit") {
    RunTraffic two = execute_creating(2);
    RunTraffic five = execute_creating(5);

    CHECK(five.migration.round_trips - two.migration.round_trips == 3);
    CHECK(five.migration.async_commits - two.migration.async_commits == 3);
    CHECK(five.migration.async_commits == 5);
    CHECK(five.control.round_trips - two.control.round_trips == 0);
    CHECK(five.control.async_commits == 0);
    // Each after the first goes to the server while the one before it runs.
    CHECK(five.migration.sent_ahead == 4);
}

TEST_CASE(
    "execute: a migration sent ahead that drops prepared statements does not break the next") {
    TestDatabase db;
    MigrationDir dir;
    write_creating(dir, 4);
    // 2 goes to the server while 1 runs, and 3 while 2 runs: 3 must not bind
    // what 2 deallocates.
    dir.write("2_t2.up.sql", "CREATE TABLE t2 (id bigint PRIMARY KEY);\nDEALLOCATE ALL;\n");
    RunTraffic traffic;
    REQUIRE(execute_counted(db, dir, traffic) == 0);
    CHECK(traffic.migration.sent_ahead == 3);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,2,3,4");
}

TEST_CASE("execute: a migration that fails drops the one sent behind it, and none after it runs") {
    TestDatabase db;
    MigrationDir dir;
    write_creating(dir, 4);
    dir.write("3_t3.up.sql", "CREATE TABLE t3 (id bigint PRIMARY KEY);\nSELECT 1 / 0;\n");
    RunTraffic traffic;
    CHECK_THROWS_WITH(execute_counted(db, dir, traffic), Catch::Contains("applying 3_t3 failed") &&
                                                             Catch::Contains("division by zero"));
    // 3 was sent behind 2 and 4 behind 3: the server skipped 4, and the run
    // undid 1 and 2 (on_failure = rollback). Nothing of 3 or 4 exists.
    CHECK(traffic.migration.sent_ahead == 3);  // 2, 3 and 4
    for (const char* table : {"t1", "t2", "t3", "t4"}) {
        INFO(table);
        CHECK(db.scalar(std::string("SELECT to_regclass('") + table + "') IS NULL") == "t");
    }
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "0");
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY id) FROM safe_migrate.events WHERE "
                    "kind = 'migration.applied'") == "1,2");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.failed' "
                    "AND version = '3'") == "1");
}

// On first use the history schema is made by the migration session, in one
// round trip, while the control session reads and the policy gate lints; a
// run on a target that has it sends no DDL at all. Either way run.started is
// the run's first event and the whole schema is there.
TEST_CASE("execute: the history schema is made once, on first use, by the migration session") {
    TestDatabase db;
    MigrationDir dir;
    write_creating(dir, 2);
    RunTraffic first;
    REQUIRE(execute_counted(db, dir, first) == 0);
    CHECK(first.migration.schema_made == 1);
    CHECK(first.control.schema_made == 0);
    write_creating(dir, 3);
    RunTraffic second;
    REQUIRE(execute_counted(db, dir, second) == 0);
    CHECK(second.migration.schema_made + second.control.schema_made == 0);

    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,2,3");
    CHECK(db.scalar("SELECT bool_and(first_kind = 'run.started') FROM (SELECT DISTINCT ON (run_id) "
                    "kind AS first_kind FROM safe_migrate.events ORDER BY run_id, id) f") == "t");
    CHECK(db.scalar("SELECT count(*) FROM unnest(ARRAY['history', 'events', 'progress', 'seeds', "
                    "'protected_targets']) t WHERE to_regclass('safe_migrate.' || t) IS NULL") ==
          "0");
}

// The schema cannot be made (a type where its events table goes): the run
// stops with the server's error before any migration, and nothing is applied.
TEST_CASE("execute: a history schema that cannot be made on first use stops the run") {
    TestDatabase db;
    db.query("CREATE SCHEMA safe_migrate; CREATE TYPE safe_migrate.events AS ENUM ('x')");
    MigrationDir dir;
    write_creating(dir, 2);
    RunTraffic traffic;
    CHECK_THROWS_WITH(execute_counted(db, dir, traffic),
                      Catch::Contains("type \"events\" already exists"));
    CHECK(db.scalar("SELECT to_regclass('t1') IS NULL AND to_regclass('safe_migrate.history') IS "
                    "NULL") == "t");
    CHECK(traffic.migration.async_commits == 0);
}

}  // namespace apply_round_trips_test
