// The policy gate of a run (deploy/policy_gate.hpp) through the pipeline with
// fakes (tests/support/deploy_harness.hpp): the policy it lints under, the
// override with its reason (recorded, notified), the override's refusal on a
// protected environment, and the dry run predicting each with the same code.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "planner/policy.hpp"
#include "support/deploy_harness.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_policy_gate_test {

using namespace sm::test;
using Catch::Matchers::Contains;
using sm::ExitCode;

namespace {

constexpr const char* k_drop = "ALTER TABLE users DROP COLUMN nickname";
constexpr const char* k_reason = "hotfix: the column leaks data";

int code_of(ExitCode code) {
    return static_cast<int>(code);
}

// A project whose second migration drops a column of an existing table.
HarnessOptions dropping(std::optional<std::string> environment = std::nullopt,
                        std::string production_execute = "") {
    HarnessOptions options;
    options.second_up = k_drop;
    options.environment = std::move(environment);
    options.production_execute = std::move(production_execute);
    return options;
}

sm::deploy::Request overriding(DeployHarness& h, bool dry_run = false) {
    auto request = h.request(dry_run);
    request.policy_override = {true, k_reason};
    return request;
}

// The messages of the events recorded as kind on the control session.
std::vector<std::string> events_of(const FakeDatabase& db, const std::string& kind) {
    std::vector<std::string> messages;
    for (const auto& s : db.statements_of("lock")) {
        if (s.sql.find("INSERT INTO safe_migrate.events") != std::string::npos &&
            s.params.at(1) == kind) {
            messages.push_back(s.params.back().value_or(""));
        }
    }
    return messages;
}

// The dry run's verdict: its report's exit code, or the code it stopped with.
int verdict_of(const DeployHarness& h, const Outcome& out) {
    if (out.error) {
        return out.code;
    }
    REQUIRE(h.reporter.dry);
    return h.reporter.dry->exit_code;
}

}  // namespace

TEST_CASE("gate: --override-policy with a reason applies, records and notifies the override",
          "[deploy][gate]") {
    DeployHarness h(dropping());
    Outcome out = h.run(overriding(h));
    INFO((out.error ? out.error->what() : ""));
    REQUIRE(out.code == 0);
    CHECK(h.db.ran(k_drop));
    CHECK(events_of(h.db, "policy.overridden") ==
          std::vector<std::string>{std::string("1 error finding(s) of policy built-in "
                                               "overridden: ") +
                                   k_reason});
    // The caller saw the findings it goes past, before anything was applied.
    auto lines = h.reporter.lines();
    REQUIRE(lines.size() > 2);
    CHECK(lines[1] == std::string("policy_overridden ") + k_reason);
    CHECK(lines[2] == "applying 1_accounts");
    REQUIRE(h.reporter.result);
    REQUIRE(h.reporter.result->policy_overridden);
    CHECK(h.reporter.result->policy_overridden->findings == 1);
    // deploy.started and deploy.succeeded say so, and why.
    CHECK(h.http.types() == std::vector<std::string>{"deploy.started", "deploy.succeeded"});
    for (const auto& post : h.http.posts()) {
        auto o = nlohmann::json::parse(post.request.body)["data"]["policy_override"];
        CHECK(o["policy"] == "built-in");
        CHECK(o["findings"] == 1);
        CHECK(o["reason"] == k_reason);
    }
}

TEST_CASE("gate: an override of a plan the policy allows overrides nothing", "[deploy][gate]") {
    DeployHarness h;
    Outcome out = h.run(overriding(h));
    REQUIRE(out.code == 0);
    CHECK(events_of(h.db, "policy.overridden").empty());
    REQUIRE(h.reporter.result);
    CHECK_FALSE(h.reporter.result->policy_overridden);
    auto o = nlohmann::json::parse(h.http.posts().at(0).request.body)["data"]["policy_override"];
    CHECK(o.is_null());
}

TEST_CASE("gate: the run lints under the request's policy", "[deploy][gate]") {
    DeployHarness h(dropping());
    auto request = h.request();
    request.policy = sm::planner::parse_policy("[rules]\nban-drop-column = \"warning\"\n",
                                               h.dir() / "relaxed.toml");
    Outcome out = h.run(std::move(request));
    INFO((out.error ? out.error->what() : ""));
    CHECK(out.code == 0);
    CHECK(h.db.ran(k_drop));
}

TEST_CASE("gate: on a protected environment the override is refused unless its config allows it",
          "[deploy][gate]") {
    SECTION("not allowed: exit 8, recorded, nothing applied, no backup") {
        DeployHarness h(dropping("production"));
        Outcome out = h.run(overriding(h));
        CHECK(out.code == code_of(ExitCode::refused));
        CHECK_THAT(out.error ? out.error->what() : "",
                   Contains("--override-policy is not allowed on protected environment "
                            "production; nothing was applied"));
        REQUIRE(out.error);
        CHECK_THAT(out.error->hint(),
                   Contains("allow_policy_override = true in [environments.production.execute]"));
        CHECK_FALSE(h.db.ran(k_drop));
        CHECK_FALSE(h.db.ran("INSERT INTO safe_migrate.history"));
        CHECK(h.backups.calls.empty());
        CHECK(events_of(h.db, "policy.override_refused").size() == 1);
    }
    SECTION("allowed by allow_policy_override = true: applied after the backup") {
        DeployHarness h(dropping("production", "allow_policy_override = true"));
        Outcome out = h.run(overriding(h));
        INFO((out.error ? out.error->what() : ""));
        REQUIRE(out.code == 0);
        CHECK(h.db.ran(k_drop));
        CHECK(h.backups.count("take") == 1);
        CHECK(events_of(h.db, "policy.overridden").size() == 1);
    }
}

TEST_CASE(
    "gate: the dry run predicts the gate, the override and its refusal with the real "
    "run's exit code",
    "[deploy][gate][dry-run]") {
    struct Case {
        const char* name;
        HarnessOptions options;
        bool override_policy;
        ExitCode expected;
    };
    std::vector<Case> cases = {
        {"blocked", dropping(), false, ExitCode::policy},
        {"overridden", dropping(), true, ExitCode::ok},
        {"override refused", dropping("production"), true, ExitCode::refused},
        {"override allowed", dropping("production", "allow_policy_override = true"), true,
         ExitCode::ok},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        DeployHarness real(c.options);
        Outcome done = real.run(c.override_policy ? overriding(real) : real.request());
        CHECK(done.code == code_of(c.expected));

        DeployHarness dry(c.options);
        Outcome walked = dry.run(c.override_policy ? overriding(dry, true) : dry.request(true));
        CHECK(verdict_of(dry, walked) == done.code);
        REQUIRE(dry.reporter.dry);
        const auto& report = *dry.reporter.dry;
        CHECK(report.plan.migrations.size() == 3);
        CHECK(report.policy_overridden.has_value() == (c.expected == ExitCode::ok));
        if (c.expected != ExitCode::ok) {
            REQUIRE_FALSE(report.reasons.empty());
        }
        CHECK_FALSE(dry.db.ran(k_drop));
        CHECK(dry.http.posts().empty());
        CHECK(dry.backups.calls.empty());
    }
}

}  // namespace deploy_policy_gate_test
