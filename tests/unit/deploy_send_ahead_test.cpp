// Sending ahead in the deploy pipeline (executor/apply.hpp, deploy/steps.hpp):
// which migration may go to the server while the one before it runs, and a
// run that stops between the two takes the result of the one in flight.
#include <catch2/catch.hpp>

#include "deploy/steps.hpp"
#include "support/deploy_harness.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_send_ahead_test {

using namespace sm::test;
using Catch::Matchers::Contains;

namespace {

constexpr const char* k_migration = "";  // the migration session's role

// The steps of the whole project, none resumed.
std::vector<sm::deploy::Step> all_steps(const sm::planner::Project& project) {
    std::vector<sm::deploy::Step> steps;
    for (const auto& m : project.migrations.migrations) {
        steps.push_back({&m, std::nullopt});
    }
    return steps;
}

}  // namespace

TEST_CASE("deploy: the next migration is sent ahead only when nothing is checked before it",
          "[deploy]") {
    DeployHarness h;
    auto migration = h.db.connect(k_migration);
    auto control = h.db.connect("lock");
    sm::core::ExecuteSettings settings = h.project.config.execute;
    sm::executor::RunContext ctx{*migration, *control, "run", "tester", settings};
    auto steps = all_steps(h.project);
    REQUIRE(steps.size() == 3);
    auto next = [&](size_t i, const std::vector<std::string>& watched = {}) {
        auto n = sm::deploy::next_to_send(ctx, h.project, steps, i, watched);
        return n ? n->migration->id() : std::string("none");
    };
    CHECK(next(0) == "2_nickname");
    CHECK(next(1) == "3_ledger");
    CHECK(next(2) == "none");  // the last
    // A table the run watches is checked for blockers before its step.
    CHECK(next(0, {"public.users"}) == "none");
    CHECK(next(1, {"public.users"}) == "3_ledger");
    // Replica lag is checked before each step.
    settings.max_replica_lag = std::chrono::milliseconds(1000);
    CHECK_FALSE(sm::deploy::next_to_send(ctx, h.project, steps, 0, {}));
    settings.max_replica_lag.reset();
    // A resumed no-transaction run is not one transaction.
    steps[1].resume = sm::db::PartialMigration{};
    CHECK(next(0) == "none");
    CHECK(next(1) == "none");
    steps[1].resume.reset();
    // With a time limit, each statement's timeouts are capped when it starts.
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    CHECK(next(0) == "none");
}

TEST_CASE("deploy: a run that stops between two migrations takes the result of the one sent ahead",
          "[deploy]") {
    DeployHarness h;
    // 2 is in flight when the run stops after 1 (here: the caller's output fails).
    h.reporter.on_applied = [](const std::string& id) {
        if (id == "1_accounts") {
            throw sm::Error(sm::ExitCode::failure, "stdout closed");
        }
    };
    auto request = h.request();
    request.settings.on_failure = sm::core::FailurePolicy::rollback;
    Outcome out = h.run(std::move(request));
    CHECK(out.code == static_cast<int>(sm::ExitCode::failure));
    REQUIRE(out.error);
    CHECK_THAT(out.error->what(), Contains("stdout closed"));
    CHECK_THAT(out.error->what(), Contains("rolled back by down files: 2_nickname, 1_accounts"));
    // 2 committed (with its history row) before the run could stop it: it is
    // one of the run's, so the rollback undid it too, first. 3 never ran.
    CHECK(h.reporter.lines() ==
          std::vector<std::string>{"target postgresql://deployer@db.test:5432/app",
                                   "applying 1_accounts", "applied 1_accounts",
                                   "applying 2_nickname", "applied 2_nickname"});
    auto down_2 = h.db.first(k_harness_migrations[1].down, k_migration);
    auto down_1 = h.db.first(k_harness_migrations[0].down, k_migration);
    REQUIRE(down_2);
    REQUIRE(down_1);
    CHECK(down_2->seq < down_1->seq);
    CHECK_FALSE(h.db.ran(k_harness_migrations[2].up));
}

TEST_CASE("deploy: a lock timeout retried sends again what was sent behind it", "[deploy]") {
    DeployHarness h;
    // 1's first attempt times out on a lock after 2 was sent behind it: the
    // server skipped 2, so 2 must go again, and 3 after it, each once.
    h.db.fail_times(k_harness_migrations[0].up, 1, "55P03",
                    "canceling statement due to lock timeout");
    auto request = h.request();
    request.settings.lock_retries = 2;
    request.settings.retry_base_delay = std::chrono::milliseconds(1);
    request.settings.retry_max_delay = std::chrono::milliseconds(1);
    Outcome out = h.run(std::move(request));
    REQUIRE(out.code == 0);
    CHECK(h.reporter.lines() ==
          std::vector<std::string>{"target postgresql://deployer@db.test:5432/app",
                                   "applying 1_accounts", "applied 1_accounts",
                                   "applying 2_nickname", "applied 2_nickname", "applying 3_ledger",
                                   "applied 3_ledger", "finished"});
    // Each history row once, in order, each after its own statement.
    std::vector<std::string> versions;
    std::vector<std::string> ups;
    for (const auto& s : h.db.statements_of(k_migration)) {
        if (s.sql.rfind("WITH h AS (INSERT INTO safe_migrate.history", 0) == 0) {
            versions.push_back(s.params.at(0).value_or(""));
        }
        for (const auto& m : k_harness_migrations) {
            if (s.sql == m.up) {
                ups.emplace_back(m.id);
            }
        }
    }
    CHECK(versions == std::vector<std::string>{"1", "2", "3"});
    CHECK(ups == std::vector<std::string>{"1_accounts", "1_accounts", "2_nickname", "3_ledger"});
}

}  // namespace deploy_send_ahead_test
