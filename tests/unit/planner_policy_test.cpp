// A policy's identity (planner/policy.hpp policy_hash) and the plan artifact
// that records it (planner/plan.hpp): execute --plan treats a plan made under
// another policy, or under a policy edited since, as a difference.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/checksum.hpp"
#include "planner/plan.hpp"
#include "planner/policy.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_policy_test {

using Catch::Matchers::Contains;
using sm::planner::parse_policy;
using sm::planner::Policy;
using sm::planner::policy_hash;

namespace {

Policy policy_of(const std::string& text, const std::string& file = "/p/team.toml") {
    return parse_policy(text, file);
}

sm::core::TargetIdentity target() {
    sm::core::TargetIdentity t;
    t.host = "db.test";
    t.port = "5432";
    t.database = "app";
    t.system_identifier = "7000000000000000001";
    t.server_version = 150004;
    return t;
}

// The artifact of an allowed plan with no migrations, made under policy.
std::string artifact(const Policy& policy) {
    sm::planner::Plan plan;
    plan.target = target();
    plan.policy = policy;
    plan.policy.pg_version = plan.target.server_version;  // as build_plan sets it
    return sm::planner::plan_to_json(plan);
}

// The error check_plan_artifact throws for text under policy now, or "".
std::string check(const std::string& text, const Policy& now_policy, sm::ExitCode* code = nullptr) {
    sm::planner::PlanCheck now;
    now.target = target();
    now.policy = now_policy;
    try {
        sm::planner::check_plan_artifact(text, "plan.json", now);
    } catch (const sm::Error& e) {
        if (code != nullptr) {
            *code = e.code();
        }
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("policy_hash: equal content hashes equal, and any rule, threshold or version changes it",
          "[planner][policy]") {
    Policy base = policy_of("[rules]\nban-drop-column = \"error\"\nban-truncate = \"error\"\n");
    // Other name, other key order, defaults spelled out or not: the same content.
    Policy same = policy_of("[rules]\nban-truncate = \"error\"\n", "/q/other.toml");
    CHECK(policy_hash(same) == policy_hash(base));
    CHECK(policy_hash(base).size() == 64);

    Policy relaxed = policy_of("[rules]\nban-drop-column = \"warning\"\n");
    CHECK(policy_hash(relaxed) != policy_hash(base));
    Policy threshold = policy_of("[thresholds]\nmax_lock_timeout = \"20s\"\n");
    CHECK(policy_hash(threshold) != policy_hash(base));
    Policy small = policy_of("[thresholds]\nsmall_table_bytes = 1\n");
    CHECK(policy_hash(small) != policy_hash(base));
    Policy version = policy_of("pg_version = 12\n");
    CHECK(policy_hash(version) != policy_hash(base));
    // Only the major version counts (the artifact compares the server's major).
    Policy minor = base;
    minor.pg_version = base.pg_version + 3;
    CHECK(policy_hash(minor) == policy_hash(base));
}

TEST_CASE("plan artifact: a changed or different policy is a difference (exit 11)",
          "[planner][policy]") {
    Policy team = policy_of("[rules]\nban-drop-column = \"warning\"\n");
    std::string text = artifact(team);
    CHECK(text.find("\"sha256\"") != std::string::npos);
    CHECK(check(text, team).empty());

    sm::ExitCode code = sm::ExitCode::ok;
    SECTION("the policy file was edited") {
        Policy edited = policy_of("[rules]\nban-drop-column = \"error\"\n");
        std::string message = check(text, edited, &code);
        CHECK(code == sm::ExitCode::drift);
        CHECK_THAT(message, Contains("the database or the files changed since the plan"));
        CHECK_THAT(message, Contains("policy: planned under team (sha256 "));
        CHECK_THAT(message, Contains("), now team (sha256 "));
    }
    SECTION("another policy was given") {
        Policy other = team;
        other.name = "strict";
        std::string message = check(text, other, &code);
        CHECK(code == sm::ExitCode::drift);
        CHECK_THAT(message, Contains("policy: planned under team"));
        CHECK_THAT(message, Contains("now strict"));
    }
}

TEST_CASE("plan artifact: one that records no policy identity must be made again",
          "[planner][policy]") {
    // An artifact as an older safe-migrate wrote it: the policy without its hash.
    std::string text = artifact(Policy{});
    auto body = nlohmann::json::parse(text);
    body["policy"].erase("sha256");
    body.erase("hash");
    body["hash"] = sm::core::sha256_hex(body.dump());
    sm::ExitCode code = sm::ExitCode::ok;
    std::string message = check(body.dump(2), Policy{}, &code);
    CHECK(code == sm::ExitCode::drift);
    CHECK_THAT(message,
               Contains("policy: the plan does not record which policy it was made under"));
    CHECK_THAT(message, Contains("re-run safe-migrate plan --out"));
}

}  // namespace planner_policy_test
