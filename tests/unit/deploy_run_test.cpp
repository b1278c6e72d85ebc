// The deploy pipeline (deploy/run.hpp) driven through fakes for every boundary
// (tests/support/deploy_harness.hpp): no database, no network, no pg_dump. The
// order of its steps on success, and where it stops, with what code and what
// left undone, when each step fails.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/deploy_harness.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_run_test {

using namespace sm::test;
using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::deploy::BackupChoice;
using std::chrono::milliseconds;

namespace {

constexpr const char* k_lock = "lock";   // the control session's role
constexpr const char* k_migration = "";  // the migration session's role

int code_of(ExitCode code) {
    return static_cast<int>(code);
}

std::string message_of(const Outcome& out) {
    return out.error ? out.error->what() : "";
}

// The migration session's statements other than its one-time setup, the SQL only.
std::vector<std::string> migration_work(const FakeDatabase& db) {
    std::vector<std::string> out;
    for (const auto& s : db.statements_of(k_migration)) {
        if (s.sql.find("client_connection_check_interval") == std::string::npos) {
            out.push_back(s.sql);
        }
    }
    return out;
}

// No history row was written anywhere and no up script ran on any session.
void check_no_migration_ran(const FakeDatabase& db) {
    CHECK_FALSE(db.ran("INSERT INTO safe_migrate.history"));
    for (const auto& m : k_harness_migrations) {
        CHECK_FALSE(db.ran(m.up));
    }
}

// The session that would run migrations did nothing but its setup, and no
// migration ran.
void check_nothing_applied(const FakeDatabase& db) {
    CHECK(migration_work(db).empty());
    check_no_migration_ran(db);
}

// A statement expected to run: one containing text, on the session of role.
struct Expected {
    const char* text;
    const char* role;
};

// The first statement of each expected one ran, each after the one before;
// returns their places in the sequence, in order.
std::vector<size_t> check_in_order(const FakeDatabase& db, std::initializer_list<Expected> ran) {
    std::vector<size_t> seqs;
    for (const auto& e : ran) {
        INFO(e.text);
        auto statement = db.first(e.text, std::string(e.role));
        REQUIRE(statement);
        if (!seqs.empty()) {
            CHECK(seqs.back() < statement->seq);
        }
        seqs.push_back(statement->seq);
    }
    return seqs;
}

// The kinds of the events recorded in safe_migrate.events, on role.
std::vector<std::string> recorded_events(const FakeDatabase& db, const std::string& role) {
    std::vector<std::string> kinds;
    for (const auto& s : db.statements_of(role)) {
        if (s.sql.find("INSERT INTO safe_migrate.events") != std::string::npos) {
            kinds.push_back(s.params.at(1).value_or(""));
        }
    }
    return kinds;
}

nlohmann::json data_of(const PostedRequest& post) {
    return nlohmann::json::parse(post.request.body)["data"];
}

}  // namespace

TEST_CASE("deploy: a run locks, reads, backs up, notifies, then applies each migration in order",
          "[deploy]") {
    DeployHarness h;
    auto request = h.request();
    request.backup.choice = BackupChoice::always;
    Outcome out = h.run(std::move(request));
    INFO(message_of(out));
    REQUIRE(out.code == 0);

    // A control session that holds the lock, and a migration session (connected
    // at the same time, so in either order).
    auto connections = h.db.connections();
    std::sort(connections.begin(), connections.end());
    CHECK(connections == std::vector<std::string>{"", "lock"});

    // The lock is taken on the control session before the history schema is
    // created and before the history is read.
    size_t history = check_in_order(h.db, {{"pg_try_advisory_lock(", k_lock},
                                           {"CREATE SCHEMA IF NOT EXISTS safe_migrate", k_lock},
                                           {"tool_version FROM safe_migrate.history", k_lock}})
                         .back();

    // The backup is taken under that lock, verified, and both before deploy.started.
    REQUIRE(h.backups.count("take") == 1);
    REQUIRE(h.backups.count("verify") == 1);
    CHECK(h.backups.last_create->kind == sm::backup::BackupKind::pre_deploy);
    CHECK(h.backups.last_create->lock_already_held);
    size_t started = h.http.seq_of("deploy.started");
    REQUIRE(started != 0);
    CHECK(history < h.backups.seq_of("take"));
    CHECK(h.backups.seq_of("take") < h.backups.seq_of("verify"));
    CHECK(h.backups.seq_of("verify") < started);

    // Then each migration on the migration session, in version order, each in
    // its own transaction (committed asynchronously) with its history row and
    // its migration.applied event, the first after deploy.started.
    std::vector<std::string> expected;
    for (const auto& m : k_harness_migrations) {
        for (const char* s : {"BEGIN", "SELECT set_config($1, $2, true)", m.up,
                              "WITH h AS (INSERT INTO safe_migrate.history", "COMMIT"}) {
            expected.emplace_back(s);
        }
    }
    auto work = migration_work(h.db);
    REQUIRE(work.size() == expected.size());
    for (size_t i = 0; i < work.size(); ++i) {
        INFO(i << ": " << work[i]);
        CHECK(work[i].rfind(expected[i], 0) == 0);
    }
    // The settings of each: its timeouts, and the asynchronous commit.
    for (const auto& s : h.db.statements_of(k_migration)) {
        if (s.sql.rfind("SELECT set_config", 0) == 0) {
            REQUIRE(s.params.size() == 6);
            CHECK(s.params[0] == "lock_timeout");
            CHECK(s.params[2] == "statement_timeout");
            CHECK(s.params[4] == "synchronous_commit");
            CHECK(s.params[5] == "off");
        }
    }
    std::vector<std::string> versions;
    for (const auto& s : h.db.statements_of(k_migration)) {
        if (s.sql.find("INSERT INTO safe_migrate.history") != std::string::npos) {
            versions.push_back(s.params.at(0).value_or(""));
        }
    }
    CHECK(versions == std::vector<std::string>{"1", "2", "3"});
    auto first_up = h.db.first(k_harness_migrations[0].up, k_migration);
    REQUIRE(first_up);
    CHECK(started < first_up->seq);

    // deploy.succeeded is the last notification, after the last COMMIT.
    CHECK(h.http.types() == std::vector<std::string>{"deploy.started", "deploy.succeeded"});
    auto last_commit = h.db.last("COMMIT", k_migration);
    REQUIRE(last_commit);
    CHECK(last_commit->seq < h.http.seq_of("deploy.succeeded"));
    CHECK(data_of(h.http.posts().back())["backup"]["verified"] == true);

    // The run is recorded on the control session, from start to end; each
    // migration's migration.applied event in its own transaction, beside its
    // history row (checked in order above).
    auto events = recorded_events(h.db, k_lock);
    REQUIRE_FALSE(events.empty());
    CHECK(events.front() == "backup.completed");
    CHECK(events.back() == "run.finished");
    size_t applied_events = 0;
    for (const auto& s : h.db.statements_of(k_migration)) {
        if (s.sql.find("INSERT INTO safe_migrate.events") != std::string::npos) {
            CHECK(s.sql.find("'migration.applied'") != std::string::npos);
            ++applied_events;
        }
    }
    CHECK(applied_events == 3);

    // The caller heard every step, and the head at the end.
    CHECK(h.reporter.lines() ==
          std::vector<std::string>{"target postgresql://deployer@db.test:5432/app",
                                   "backup_verified 20260101T000000Z-pre-deploy",
                                   "applying 1_accounts", "applied 1_accounts",
                                   "applying 2_nickname", "applied 2_nickname", "applying 3_ledger",
                                   "applied 3_ledger", "finished"});
    REQUIRE(h.reporter.result);
    CHECK(h.reporter.result->head == 3);
    CHECK(h.reporter.result->applied.size() == 3);
    CHECK_FALSE(h.reporter.result->nothing_pending);
}

TEST_CASE("deploy: a protected environment is backed up without --backup and recorded",
          "[deploy]") {
    DeployHarness h({false, "production"});
    Outcome out = h.run(h.request());  // BackupChoice::when_protected
    INFO(message_of(out));
    REQUIRE(out.code == 0);
    REQUIRE(h.backups.count("take") == 1);
    CHECK(h.backups.seq_of("verify") < h.http.seq_of("deploy.started"));
    auto lock = h.db.first("pg_try_advisory_lock(", k_lock);
    auto recorded = h.db.first("INSERT INTO safe_migrate.protected_targets", k_lock);
    REQUIRE(lock);
    REQUIRE(recorded);
    CHECK(lock->seq < recorded->seq);
    CHECK(recorded->params.at(0) == "production");
}

// First use: the migration session makes the schema (one batch) while the
// control session reads nothing, and nothing is recorded before it is in.
TEST_CASE("deploy: on first use the migration session makes the schema, nothing is read",
          "[deploy]") {
    DeployHarness h({false, "production"});
    h.db.answer("FILTER (WHERE c IS NULL)", column({"absent"}));
    Outcome out = h.run(h.request());
    INFO(message_of(out));
    REQUIRE(out.code == 0);
    check_in_order(h.db, {{"CREATE SCHEMA IF NOT EXISTS safe_migrate", k_migration},
                          {"INSERT INTO safe_migrate.protected_targets", k_lock},
                          {"INSERT INTO safe_migrate.events", k_lock}});
    CHECK_FALSE(h.db.first("CREATE SCHEMA", k_lock));
    CHECK_FALSE(h.db.ran("tool_version FROM safe_migrate.history"));
    CHECK_FALSE(h.db.ran("run_id FROM safe_migrate.progress"));
}

// A run that stops before the policy gate (here a --target that names no
// migration) still waits for the schema it sent and records the protected
// target, before it releases the lock.
TEST_CASE("deploy: a first run that stops early makes the schema before unlocking", "[deploy]") {
    DeployHarness h({false, "production"});
    h.db.answer("FILTER (WHERE c IS NULL)", column({"absent"}));
    auto request = h.request();
    request.up_to = sm::core::Version::parse("99");
    Outcome out = h.run(std::move(request));
    CHECK(out.code != 0);
    CHECK_THAT(message_of(out), Contains("--target 99"));
    check_in_order(h.db, {{"CREATE SCHEMA IF NOT EXISTS safe_migrate", k_migration},
                          {"INSERT INTO safe_migrate.protected_targets", k_lock},
                          {"pg_advisory_unlock(", k_lock}});
    check_no_migration_ran(h.db);
}

TEST_CASE("deploy: a target that cannot be reached stops the run before anything", "[deploy]") {
    DeployHarness h;
    h.db.refuse_connections("connection refused");
    Outcome out = h.run(h.request());
    CHECK(out.code == code_of(ExitCode::db_unreachable));
    CHECK_THAT(message_of(out), Contains("connection refused"));
    CHECK(h.db.statements().empty());
    CHECK(h.http.posts().empty());
    CHECK(h.backups.calls.empty());
    CHECK(h.reporter.entries.empty());
}

TEST_CASE("deploy: a standby is refused before the lock, nothing is applied", "[deploy]") {
    DeployHarness h;
    h.db.answer("pg_is_in_recovery()", column({"t"}));
    Outcome out = h.run(h.request());
    CHECK(out.code == code_of(ExitCode::refused));
    CHECK_THAT(message_of(out), Contains("is a standby (in recovery)"));
    CHECK(h.db.ran("pg_is_in_recovery()"));
    CHECK_FALSE(h.db.ran("pg_try_advisory_lock("));
    check_nothing_applied(h.db);
    CHECK(h.http.posts().empty());
}

TEST_CASE("deploy: a lock held past lock_wait stops the run naming its holder", "[deploy]") {
    DeployHarness h;
    h.db.answer("pg_try_advisory_lock(", column({"f"}));
    h.db.answer("l.locktype = 'advisory'",
                row({"4242", "deployer-ci", "10.0.0.5", "2026-01-01T00:00:00Z", "active"}));
    auto request = h.request();
    request.settings.lock_wait = milliseconds(1);
    Outcome out = h.run(std::move(request));
    CHECK(out.code == code_of(ExitCode::lock_busy));
    CHECK_THAT(message_of(out), Contains("another run holds the migration lock: pid 4242 "
                                         "(application 'deployer-ci', client 10.0.0.5"));
    // Nothing past the lock: no history schema, no history read, no backup.
    CHECK_FALSE(h.db.ran("CREATE SCHEMA"));
    CHECK_FALSE(h.db.ran("tool_version FROM safe_migrate.history"));
    check_nothing_applied(h.db);
    CHECK(h.http.posts().empty());
    CHECK(h.backups.calls.empty());
}

TEST_CASE("deploy: a session blocking the run's tables past wait_for_blockers stops it",
          "[deploy]") {
    DeployHarness h;
    // users exists and an idle transaction holds a lock on it.
    h.db.answer("WITH ORDINALITY", column({"public.users"}));
    h.db.answer("SELECT 1 FROM pg_locks", column({"1"}));
    h.db.answer("string_agg(DISTINCT l.relation",
                row({"4343", "app", "web", "10.0.0.7", "idle in transaction", "120000",
                     "2026-01-01T00:00:00Z", "public.users", "f"}));
    auto request = h.request();
    request.settings.wait_for_blockers = milliseconds(1);
    Outcome out = h.run(std::move(request));
    CHECK(out.code == code_of(ExitCode::lock_busy));
    CHECK_THAT(message_of(out), Contains("sessions block the run after waiting"));
    CHECK_THAT(message_of(out), Contains("nothing was applied"));
    CHECK_THAT(message_of(out), Contains("pid 4343 (user 'app', application 'web'"));
    // The probe looked for the run's existing tables only, past the run's own sessions.
    auto probe = h.db.first("SELECT 1 FROM pg_locks", k_lock);
    REQUIRE(probe);
    CHECK(probe->params.at(0) == "{\"public\"}");
    CHECK(probe->params.at(2) == "{\"users\"}");
    CHECK(recorded_events(h.db, k_lock) == std::vector<std::string>{"preflight.blocked"});
    check_nothing_applied(h.db);
    CHECK(h.http.posts().empty());
    CHECK(h.backups.calls.empty());
}

TEST_CASE("deploy: a backup that fails verification stops the run before deploy.started",
          "[deploy]") {
    DeployHarness h;
    h.backups.problems = {"archive/toc.dat: 0 bytes, the manifest says 2048"};
    auto request = h.request();
    request.backup.choice = BackupChoice::always;
    Outcome out = h.run(std::move(request));
    CHECK(out.code == code_of(ExitCode::backup_failed));
    CHECK_THAT(message_of(out), Contains("the pre-deploy backup 20260101T000000Z-pre-deploy "
                                         "failed verification; nothing was applied"));
    CHECK_THAT(message_of(out), Contains("archive/toc.dat: 0 bytes"));
    CHECK(h.backups.count("take") == 1);
    CHECK(h.backups.count("verify") == 1);
    CHECK(h.http.posts().empty());
    check_nothing_applied(h.db);
    for (const auto& e : h.reporter.entries) {
        CHECK(e.what != "backup_verified");
    }
}

TEST_CASE("deploy: a required webhook that answers 500 to deploy.started stops the run",
          "[deploy]") {
    DeployHarness h({true, std::nullopt});
    h.http.set_status(500);
    Outcome out = h.run(h.request());
    CHECK(out.code == code_of(ExitCode::refused));
    CHECK_THAT(message_of(out), Contains("a required notification endpoint did not take "
                                         "deploy.started; nothing was applied"));
    // retries = 0; the story ends: deploy.failed, refused, follows deploy.started.
    CHECK(h.http.types() == std::vector<std::string>{"deploy.started", "deploy.failed"});
    CHECK(h.http.posts().at(1).request.body.find("\"status\":\"refused\"") != std::string::npos);
    CHECK(h.http.posts().at(0).request.url == "https://hooks.test/x");
    check_nothing_applied(h.db);
}

TEST_CASE("deploy: a webhook that is not required and answers 500 does not stop the run",
          "[deploy]") {
    DeployHarness h;
    h.http.set_status(500);
    Outcome out = h.run(h.request());
    INFO(message_of(out));
    CHECK(out.code == 0);
    CHECK(h.http.types() == std::vector<std::string>{"deploy.started", "deploy.succeeded"});
    CHECK(h.db.ran(k_harness_migrations[2].up));
}

TEST_CASE("deploy: when the second migration fails the first is rolled back by its down file",
          "[deploy]") {
    DeployHarness h;
    h.db.fail(k_harness_migrations[1].up, "42P01", "relation \"users\" does not exist");
    auto request = h.request();
    request.settings.on_failure = sm::core::FailurePolicy::rollback;
    Outcome out = h.run(std::move(request));
    CHECK(out.code == code_of(ExitCode::failure));
    CHECK_THAT(message_of(out), Contains("applying 2_nickname failed at 2_nickname.up.sql:1"));
    CHECK_THAT(message_of(out), Contains("(SQLSTATE 42P01)"));
    CHECK_THAT(message_of(out), Contains("rolled back by down files: 1_accounts"));

    // 1 applied and committed; 2 failed and was rolled back; 1's down file ran
    // in its own transaction and removed its history row; 3 never ran.
    auto work = migration_work(h.db);
    std::vector<std::string> expected = {"BEGIN",
                                         "SELECT set_config(",
                                         k_harness_migrations[0].up,
                                         "WITH h AS (INSERT INTO safe_migrate.history",
                                         "COMMIT",
                                         "BEGIN",
                                         "SELECT set_config(",
                                         k_harness_migrations[1].up,
                                         "ROLLBACK",
                                         "BEGIN",
                                         "SELECT set_config(",
                                         k_harness_migrations[0].down,
                                         "DELETE FROM safe_migrate.history",
                                         "COMMIT"};
    REQUIRE(work.size() == expected.size());
    for (size_t i = 0; i < work.size(); ++i) {
        INFO(i << ": " << work[i]);
        CHECK(work[i].rfind(expected[i], 0) == 0);
    }
    auto removed = h.db.first("DELETE FROM safe_migrate.history", k_migration);
    REQUIRE(removed);
    CHECK(removed->params.at(0) == "1");
    CHECK_FALSE(h.db.ran(k_harness_migrations[2].up));

    // The team hears of the failure, then of the rollback.
    CHECK(h.http.types() ==
          std::vector<std::string>{"deploy.started", "deploy.failed", "deploy.rolled_back"});
    auto posts = h.http.posts();
    CHECK(data_of(posts[1])["error"]["code"] == "failure");
    auto rollback = data_of(posts[2])["rollback"];
    CHECK(rollback["means"] == "down files");
    CHECK(rollback["undone"] == nlohmann::json::array({"1_accounts"}));
    CHECK(rollback["failed_migration"] == "2_nickname");
    CHECK(rollback["complete"] == true);

    CHECK(h.reporter.lines() ==
          std::vector<std::string>{"target postgresql://deployer@db.test:5432/app",
                                   "applying 1_accounts", "applied 1_accounts",
                                   "applying 2_nickname"});
    CHECK_FALSE(h.reporter.result);
}

TEST_CASE(
    "deploy: the policy gate runs after the lock and the drift check, before preflight "
    "and the backup",
    "[deploy][gate]") {
    DeployHarness h;
    auto request = h.request();
    request.backup.choice = BackupChoice::always;
    Outcome out = h.run(std::move(request));
    INFO(message_of(out));
    REQUIRE(out.code == 0);
    // The gate reads the sizes of the tables the steps touch, on the control session.
    size_t preflight = check_in_order(h.db, {{"pg_try_advisory_lock(", k_lock},
                                             {"tool_version FROM safe_migrate.history", k_lock},
                                             {"pg_total_relation_size(c.oid)", k_lock},
                                             {"WITH ORDINALITY", k_lock}})
                           .back();
    CHECK(preflight < h.backups.seq_of("take"));
    CHECK(h.reporter.lines().at(1) == "backup_verified 20260101T000000Z-pre-deploy");
}

TEST_CASE("deploy: a policy gate that blocks stops the run with exit 4 and takes no backup",
          "[deploy][gate]") {
    constexpr const char* k_drop = "ALTER TABLE users DROP COLUMN nickname";
    HarnessOptions options;
    options.second_up = k_drop;
    DeployHarness h(options);
    auto request = h.request();
    request.backup.choice = BackupChoice::always;
    Outcome out = h.run(std::move(request));
    CHECK(out.code == code_of(ExitCode::policy));
    CHECK_THAT(message_of(out), Contains("the plan is blocked by policy built-in (1 lint error(s) "
                                         "under policy built-in); nothing was applied"));
    REQUIRE(out.error);
    CHECK_THAT(out.error->hint(), Contains("--override-policy --reason"));

    // Nothing applied, no preflight, no backup.
    check_nothing_applied(h.db);
    CHECK_FALSE(h.db.ran(k_drop));
    CHECK_FALSE(h.db.ran("WITH ORDINALITY"));
    CHECK(h.backups.calls.empty());

    // The caller got the plan with the finding; the refusal is recorded after
    // the history was read; the team was told as plan tells them.
    CHECK(h.reporter.lines() ==
          std::vector<std::string>{"target postgresql://deployer@db.test:5432/app",
                                   "policy_blocked built-in"});
    REQUIRE(h.reporter.gate_plan);
    REQUIRE(h.reporter.gate_plan->lint.files.size() == 3);
    const auto& findings = h.reporter.gate_plan->lint.files[1].findings;
    CHECK(std::any_of(findings.begin(), findings.end(), [](const auto& f) {
        return f.rule == "ban-drop-column" && f.severity == sm::planner::Severity::error;
    }));
    CHECK(recorded_events(h.db, k_lock) == std::vector<std::string>{"policy.blocked"});
    CHECK(h.http.types() == std::vector<std::string>{"plan.blocked"});
    CHECK(data_of(h.http.posts().at(0))["error"]["code"] == "policy");
}

}  // namespace deploy_run_test
