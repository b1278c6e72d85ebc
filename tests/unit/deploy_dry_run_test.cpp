// The deploy pipeline's dry run (deploy/run.hpp) against the same scripted
// targets as a real run (tests/support/deploy_harness.hpp): its verdict is the
// real run's exit code, and it changes nothing on the way there.
#include <catch2/catch.hpp>
#include <functional>

#include "support/deploy_harness.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_dry_run_test {

using namespace sm::test;
using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::deploy::BackupChoice;
using std::chrono::milliseconds;

namespace {

// A target as the fake database answers it, and the exit code a real run gets there.
struct Scenario {
    const char* name;
    std::function<void(FakeDatabase&)> script;
    ExitCode expected;
};

std::vector<Scenario> scenarios() {
    return {
        {"clean", [](FakeDatabase&) {}, ExitCode::ok},
        {"lock held by another runner",
         [](FakeDatabase& db) {
             db.answer("pg_try_advisory_lock(", column({"f"}));
             db.answer("l.locktype = 'advisory'",
                       row({"4242", "deployer-ci", "10.0.0.5", "2026-01-01T00:00:00Z", "active"}));
         },
         ExitCode::lock_busy},
        {"blocking session",
         [](FakeDatabase& db) {
             db.answer("WITH ORDINALITY", column({"public.users"}));
             db.answer("SELECT 1 FROM pg_locks", column({"1"}));
             db.answer("string_agg(DISTINCT l.relation",
                       row({"4343", "app", "web", "10.0.0.7", "idle in transaction", "120000",
                            "2026-01-01T00:00:00Z", "public.users", "f"}));
         },
         ExitCode::lock_busy},
        {"standby", [](FakeDatabase& db) { db.answer("pg_is_in_recovery()", column({"t"})); },
         ExitCode::refused},
    };
}

// The same request for the real run and the dry run: a backup is wanted, and
// the waits are tiny so that a lock or a blocker stops the real run at once.
sm::deploy::Request request_for(DeployHarness& h, bool dry_run) {
    auto request = h.request(dry_run);
    request.backup.choice = BackupChoice::always;
    request.settings.lock_wait = milliseconds(1);
    request.settings.wait_for_blockers = milliseconds(1);
    return request;
}

// The dry run's verdict: its report's exit code, or the code of the error it
// stopped with (a target it cannot walk at all, like a standby).
int verdict_of(const DeployHarness& h, const Outcome& out) {
    if (out.error) {
        return out.code;
    }
    REQUIRE(h.reporter.dry);
    CHECK(out.code == h.reporter.dry->exit_code);
    return h.reporter.dry->exit_code;
}

}  // namespace

TEST_CASE("deploy: the dry run's verdict is the real run's exit code, and it changes nothing",
          "[deploy][dry-run]") {
    for (const auto& scenario : scenarios()) {
        INFO("target: " << scenario.name);
        DeployHarness real;
        scenario.script(real.db);
        Outcome done = real.run(request_for(real, false));
        INFO("real run: " << (done.error ? done.error->what() : "succeeded"));
        CHECK(done.code == static_cast<int>(scenario.expected));

        DeployHarness dry;
        scenario.script(dry.db);
        Outcome walked = dry.run(request_for(dry, true));
        INFO("dry run: " << (walked.error ? walked.error->what() : "reported"));
        CHECK(verdict_of(dry, walked) == done.code);

        // It read the target, and wrote nothing: no DML, DDL or transaction,
        // no advisory lock, no notification, no backup.
        REQUIRE_FALSE(dry.db.statements().empty());
        for (const auto& s : dry.db.statements()) {
            INFO("dry run statement: " << s.sql);
            CHECK_FALSE(is_write(s.sql));
            CHECK(s.sql.find("advisory_lock(") == std::string::npos);
            CHECK(s.sql.find("pg_terminate_backend") == std::string::npos);
        }
        CHECK(dry.http.posts().empty());
        CHECK(dry.backups.calls.empty());
        // The real run of a target it could deploy did all of those.
        if (done.code == 0) {
            CHECK(real.db.ran("pg_try_advisory_lock("));
            CHECK(real.db.ran("INSERT INTO safe_migrate.history"));
            CHECK(real.http.posts().size() == 2);
            CHECK(real.backups.count("take") == 1);
        }
    }
}

TEST_CASE("deploy: a dry run reports the plan, the backup and every reason it would stop",
          "[deploy][dry-run]") {
    SECTION("a clean target: the run would proceed with three migrations after a backup") {
        DeployHarness h;
        Outcome out = h.run(request_for(h, true));
        INFO((out.error ? out.error->what() : ""));
        REQUIRE(out.code == 0);
        REQUIRE(h.reporter.dry);
        const auto& report = *h.reporter.dry;
        CHECK(report.reasons.empty());
        CHECK(report.pending == 3);
        CHECK(report.plan.migrations.size() == 3);
        CHECK(report.backup_required);
        CHECK(report.backup_directory == (h.dir() / "backups").string());
        CHECK_FALSE(report.lock_holder);
        CHECK(report.blockers.empty());
        CHECK(h.reporter.lines() == std::vector<std::string>{"dry_run"});
    }
    SECTION("a held lock and a blocker: both reasons, the first one's code") {
        DeployHarness h;
        auto all = scenarios();
        all[1].script(h.db);  // the lock held
        all[2].script(h.db);  // a blocker
        Outcome out = h.run(request_for(h, true));
        REQUIRE(h.reporter.dry);
        const auto& report = *h.reporter.dry;
        CHECK(out.code == static_cast<int>(ExitCode::lock_busy));
        REQUIRE(report.lock_holder);
        CHECK_THAT(*report.lock_holder, Contains("pid 4242"));
        REQUIRE(report.blockers.size() == 1);
        CHECK_THAT(report.blockers[0], Contains("pid 4343"));
        REQUIRE(report.reasons.size() == 2);
        CHECK_THAT(report.reasons[0], Contains("another runner holds the migration lock"));
        CHECK_THAT(report.reasons[1], Contains("blocking session: pid 4343"));
    }
}

}  // namespace deploy_dry_run_test
