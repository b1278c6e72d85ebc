// The deployment pipeline of execute end to end: the failure policy (down files
// newest first, the pre-deploy backup when a down file fails), the preflight
// for sessions that would block a migration's tables, and two runners at once.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "sandbox/cluster.hpp"
#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace pipeline_test {

using namespace sm::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

// The run's config: a generic webhook "pipeline" to url (short notifier
// bounds, one retry), the backups in the project, then extra TOML.
void write_config(const Project& p, const std::string& url, const std::string& extra = "") {
    p.write_config(p.notify_section("", 1) + webhook("pipeline", "generic", url) +
                   p.backup_section() + extra);
}

// The deploy.* notifications the receiver got, in arrival order.
std::vector<std::string> deploy_types(const HttpReceiver& receiver) {
    std::vector<std::string> types;
    for (const auto& r : receiver.requests()) {
        auto type = json::parse(r.body)["type"].get<std::string>();
        if (type.rfind("deploy.", 0) == 0) {
            types.push_back(type);
        }
    }
    return types;
}

// pg_dump --data-only of everything but safe_migrate.
std::string data_dump(const TestDatabase& db) {
    sm::util::ProcessSpec spec;
    spec.program = (cluster().bindir / "pg_dump").string();
    spec.args = {"--data-only", "--no-owner",   "--restrict-key=safemigratetest",
                 "-N",          "safe_migrate", "--dbname",
                 db.url()};
    auto result = sm::util::run_process(spec);
    sm::util::require_success(spec, result);
    return result.out;
}

std::string head(const TestDatabase& db) {
    return db.scalar("SELECT max(version) FROM safe_migrate.history");
}

// Version 1, applied before the run: accounts, with bob's balance below zero.
void write_start(const Project& p) {
    p.migration("1_accounts.up.sql",
                "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric "
                "NOT NULL);\nINSERT INTO accounts VALUES (1, 'ada', 10), (2, 'bob', -500), (3, "
                "'cy', 0);\n");
    p.migration("1_accounts.down.sql", "DROP TABLE accounts;\n");
}

constexpr const char* k_good_down_3 =
    "UPDATE accounts SET balance = balance - 100;\nALTER TABLE accounts DROP COLUMN currency;\n";
constexpr const char* k_broken_down_3 =
    "UPDATE accounts SET balance = balance - 100;\nALTER TABLE no_such_table DROP COLUMN "
    "currency;\n";

// The run: 2, 3 and 4 apply (schema and data), 5 fails on a CHECK that bob's
// balance violates, 6 never runs. Every one has a down file. 3 updates every
// row on purpose: its suppression says why, so the policy gate lets it through.
void write_run(const Project& p, const std::string& down_of_3) {
    p.migration("2_ledger.up.sql",
                "CREATE TABLE ledger (id int PRIMARY KEY, account_id int NOT NULL REFERENCES "
                "accounts, amount numeric NOT NULL);\n");
    p.migration("2_ledger.down.sql", "DROP TABLE ledger;\n");
    p.migration("3_bonus.up.sql",
                "ALTER TABLE accounts ADD COLUMN currency text NOT NULL DEFAULT 'EUR';\n"
                "-- safe-migrate: allow ban-delete-or-update-without-where reason=\"the bonus is "
                "for every account\"\n"
                "UPDATE accounts SET balance = balance + 100;\n");
    p.migration("3_bonus.down.sql", down_of_3);
    p.migration("4_entries.up.sql",
                "CREATE INDEX ledger_account_idx ON ledger (account_id);\n"
                "INSERT INTO ledger VALUES (1, 1, 100), (2, 2, 100);\n");
    p.migration("4_entries.down.sql",
                "DELETE FROM ledger WHERE id IN (1, 2);\nDROP INDEX ledger_account_idx;\n");
    p.migration("5_positive.up.sql",
                "ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0);\n");
    p.migration("5_positive.down.sql", "ALTER TABLE accounts DROP CONSTRAINT balance_positive;\n");
    p.migration("6_never.up.sql", "CREATE TABLE never_applied (a int);\n");
    p.migration("6_never.down.sql", "DROP TABLE never_applied;\n");
}

constexpr const char* k_accounts =
    "SELECT string_agg(id || ':' || owner || ':' || balance, ',' "
    "ORDER BY id) FROM accounts";

}  // namespace

TEST_CASE("pipeline: a failed migration rolls back this run's migrations by their down files") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    write_config(project, receiver.url("/hooks/deploy"));
    write_start(project);
    auto first = run_tool(project.args(db, {"execute"}));
    INFO(first.all());
    REQUIRE(first.exit_code == 0);
    std::string schema = db.schema_dump();
    std::string rows = db.scalar(k_accounts);
    size_t before = receiver.count();

    write_run(project, k_good_down_3);
    auto run = run_tool(project.args(db, {"execute"}));  // on_failure defaults to rollback
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("applying 5_positive failed") != std::string::npos);
    CHECK(run.err.find("rolled back") != std::string::npos);
    CHECK(head(db) == "1");
    CHECK(db.schema_dump() == schema);
    CHECK(db.scalar(k_accounts) == rows);
    CHECK(db.scalar("SELECT to_regclass('never_applied') IS NULL") == "t");
    // Down files newest first: 4, 3, 2.
    CHECK(db.scalar("SELECT string_agg(version::text, ',' ORDER BY id) FROM safe_migrate.events "
                    "WHERE kind = 'migration.rolled_back'") == "4,3,2");
    std::string all_kinds =
        db.scalar("SELECT string_agg(kind, ',' ORDER BY id) FROM safe_migrate.events");
    INFO(all_kinds);
    auto started = all_kinds.find("rollback.started");
    auto finished = all_kinds.find("rollback.finished");
    CHECK(started != std::string::npos);
    CHECK(finished != std::string::npos);
    CHECK(started < finished);

    REQUIRE(receiver.count() > before);
    CHECK(deploy_types(receiver) == std::vector<std::string>{"deploy.started", "deploy.succeeded",
                                                             "deploy.started", "deploy.failed",
                                                             "deploy.rolled_back"});
    auto last = json::parse(receiver.requests().back().body);
    INFO(last.dump());
    if (last["type"] == "deploy.rolled_back") {
        CHECK(last["data"]["version_to"] == 1);  // where the target stands after the rollback
    }
    // Status: 2..6 pending again, nothing drifted.
    CHECK(run_tool(project.args(db, {"status"})).exit_code == 10);
}

TEST_CASE("pipeline: a failing down file falls back to restoring the pre-deploy backup") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    write_config(project, receiver.url("/hooks/deploy"));
    write_start(project);
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    std::string schema = db.schema_dump();
    std::string data = data_dump(db);
    std::string rows = db.scalar(k_accounts);
    db.disconnect();  // a restore needs the database to itself

    write_run(project, k_broken_down_3);
    auto run = run_tool(project.args(db, {"execute", "--backup", "--on-failure", "rollback"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("applying 5_positive failed") != std::string::npos);
    CHECK(run.err.find("restored") != std::string::npos);

    // The database under the target's name is the backup again: schema and data.
    CHECK(head(db) == "1");
    CHECK(db.schema_dump() == schema);
    CHECK(data_dump(db) == data);
    CHECK(db.scalar(k_accounts) == rows);
    CHECK(db.scalar("SELECT count(*) > 0 FROM safe_migrate.events WHERE kind LIKE 'restore%'") ==
          "t");
    // The failed database is kept beside it.
    auto admin = sm::db::connect(cluster().url("postgres"), "sm-test-admin");
    CHECK(*admin
               ->exec_params("SELECT count(*) FROM pg_database WHERE datname LIKE $1 || "
                             "'\\_pre\\_restore\\_%'",
                             {db.name()})
               .scalar() == "1");

    CHECK(deploy_types(receiver) == std::vector<std::string>{"deploy.started", "deploy.succeeded",
                                                             "deploy.started", "deploy.failed",
                                                             "deploy.rolled_back"});
}

TEST_CASE("pipeline: on-failure stop leaves the run's applied migrations in place") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    write_config(project, receiver.url("/hooks/deploy"), "[execute]\non_failure = \"stop\"\n");
    write_start(project);
    write_run(project, k_good_down_3);
    auto run = run_tool(project.args(db, {"execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(head(db) == "4");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = "
                    "'migration.rolled_back'") == "0");
    CHECK(deploy_types(receiver) == std::vector<std::string>{"deploy.started", "deploy.failed"});
}

namespace {

// Version 1 makes accounts; version 2 alters it (needs ACCESS EXCLUSIVE).
void write_alter(const Project& p) {
    p.migration("1_accounts.up.sql",
                "CREATE TABLE accounts (id int PRIMARY KEY);\nINSERT INTO accounts VALUES (1);\n");
    p.migration("2_note.up.sql", "ALTER TABLE accounts ADD COLUMN note text;\n");
}

std::string has_note(const TestDatabase& db) {
    return db.scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = "
        "'accounts' AND column_name = 'note'");
}

// A session idle in transaction with ACCESS SHARE on accounts.
std::unique_ptr<sm::db::Session> hold_accounts(const TestDatabase& db) {
    auto blocker = db.connect("pipeline-blocker");
    blocker->exec("BEGIN");
    blocker->exec("SELECT * FROM accounts LIMIT 1");
    return blocker;
}

}  // namespace

TEST_CASE("pipeline: a session idle in transaction on a touched table stops the run, named") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    write_config(project, receiver.url("/hooks/deploy"));
    write_alter(project);
    REQUIRE(run_tool(project.args(db, {"execute", "--target", "1"})).exit_code == 0);
    auto blocker = hold_accounts(db);
    std::string pid = std::to_string(blocker->backend_pid());

    auto t0 = Clock::now();
    auto run = run_tool(project.args(db, {"execute", "--wait-for-blockers", "2s"}));
    auto took = Clock::now() - t0;
    INFO(run.all());
    CHECK(run.exit_code == 6);
    CHECK(took >= 1900ms);
    CHECK(took < 20s);
    CHECK(run.all().find("pid " + pid) != std::string::npos);
    CHECK(run.all().find("pipeline-blocker") != std::string::npos);
    CHECK(run.all().find("idle in transaction") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '2'") == "0");
    CHECK(has_note(db) == "0");

    blocker->exec("COMMIT");
    auto again = run_tool(project.args(db, {"execute", "--wait-for-blockers", "2s"}));
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(has_note(db) == "1");
}

TEST_CASE("pipeline: execute waits for a blocker that ends within --wait-for-blockers") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    write_config(project, receiver.url("/hooks/deploy"));
    write_alter(project);
    REQUIRE(run_tool(project.args(db, {"execute", "--target", "1"})).exit_code == 0);
    auto blocker = hold_accounts(db);

    auto t0 = Clock::now();
    auto run = start_tool(project.args(db, {"execute", "--wait-for-blockers", "30s"}));
    std::this_thread::sleep_for(1500ms);
    CHECK(run->running());
    CHECK(has_note(db) == "0");
    blocker->exec("COMMIT");
    auto result = run->wait_for(30s);
    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(result->exit_code == 0);
    CHECK(Clock::now() - t0 >= 1500ms);
    CHECK((result->out + result->err).find("pid " + std::to_string(blocker->backend_pid())) !=
          std::string::npos);
    CHECK(has_note(db) == "1");
}

TEST_CASE(
    "pipeline: --terminate-blockers ends a blocker after the wait, and protected envs opt in") {
    TestDatabase db;
    HttpReceiver receiver;
    Project project;
    const std::string prod =
        "[environments.prod]\nprotected = true\ndatabase_url = \"" + db.url() + "\"\n";
    write_config(project, receiver.url("/hooks/deploy"), prod);
    write_alter(project);
    REQUIRE(run_tool(project.args(db, {"execute", "--target", "1"})).exit_code == 0);
    auto blocker = hold_accounts(db);
    std::string pid = std::to_string(blocker->backend_pid());
    auto alive = [&](const std::string& p) {
        return db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + p) == "1";
    };
    const std::vector<std::string> on_prod = {"--config",
                                              project.config().string(),
                                              "--migrations-dir",
                                              project.migrations().string(),
                                              "--env",
                                              "prod",
                                              "execute",
                                              "--wait-for-blockers",
                                              "1s",
                                              "--terminate-blockers"};

    // A protected environment refuses to terminate sessions unless its config allows it.
    auto refused = run_tool(on_prod);
    INFO(refused.all());
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("not allowed on protected environment prod") != std::string::npos);
    CHECK(alive(pid));
    CHECK(has_note(db) == "0");

    auto run = run_tool(
        project.args(db, {"execute", "--wait-for-blockers", "1s", "--terminate-blockers"}));
    INFO(run.all());
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("terminated pid " + pid) != std::string::npos);
    CHECK(has_note(db) == "1");
    CHECK_FALSE(alive(pid));
    CHECK_THROWS(blocker->exec("SELECT 1"));

    // Allowed by the environment's config: terminated there too.
    write_config(project, receiver.url("/hooks/deploy"),
                 prod + "[environments.prod.execute]\nterminate_blockers = true\n");
    project.migration("3_more.up.sql", "ALTER TABLE accounts ADD COLUMN more text;\n");
    auto second = hold_accounts(db);
    std::string pid2 = std::to_string(second->backend_pid());
    auto allowed = run_tool(on_prod);
    INFO(allowed.all());
    CHECK(allowed.exit_code == 0);
    CHECK(allowed.err.find("terminated pid " + pid2) != std::string::npos);
    CHECK_FALSE(alive(pid2));
    CHECK(head(db) == "3");
}

TEST_CASE("pipeline: two executes at once apply each migration exactly once") {
    TestDatabase db;
    MigrationDir dir;
    for (int v = 1; v <= 3; ++v) {
        dir.write(std::to_string(v) + "_c" + std::to_string(v) + ".up.sql",
                  "CREATE TABLE c" + std::to_string(v) + " (a int);\nSELECT pg_sleep(0.5);\n");
    }
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    auto lock_wait = GENERATE(as<std::string>{}, "1s", "30s");
    INFO("--lock-wait " << lock_wait);
    std::vector<std::string> args = {"--migrations-dir", dir.path().string(), "execute",
                                     "--lock-wait", lock_wait};
    auto a = start_tool(args, env);
    auto b = start_tool(args, env);
    auto ra = a->wait_for(60s);
    auto rb = b->wait_for(60s);
    REQUIRE(ra);
    REQUIRE(rb);
    INFO("A: " << ra->how_it_ended() << "\n" << ra->out << ra->err);
    INFO("B: " << rb->how_it_ended() << "\n" << rb->out << rb->err);
    CHECK(ra->signal == 0);
    CHECK(rb->signal == 0);
    // One applied everything; the other found nothing to do or gave up waiting.
    bool a_applied = ra->exit_code == 0 && ra->out.find("applying 1_c1") != std::string::npos;
    bool b_applied = rb->exit_code == 0 && rb->out.find("applying 1_c1") != std::string::npos;
    CHECK(a_applied != b_applied);
    const auto& other = a_applied ? *rb : *ra;
    if (other.exit_code == 0) {
        CHECK(other.out.find("nothing to apply") != std::string::npos);
    } else {
        CHECK(other.exit_code == 6);
        CHECK(lock_wait == "1s");
    }
    CHECK(db.scalar("SELECT string_agg(version || 'x' || n, ',' ORDER BY version) FROM (SELECT "
                    "version, count(*) AS n FROM safe_migrate.history GROUP BY version) h") ==
          "1x1,2x1,3x1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.failed'") ==
          "0");
}

}  // namespace pipeline_test
