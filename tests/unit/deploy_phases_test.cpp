// Which pending migrations a run applies under --through (deploy/phases.hpp).
#include <catch2/catch.hpp>

#include "deploy/phases.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_phases_test {

using sm::core::Migration;
using sm::core::Phase;

namespace {

Migration migration(int64_t version, const char* name, Phase phase) {
    Migration m;
    m.version = version;
    m.name = name;
    m.up.directives.phase = phase;
    return m;
}

}  // namespace

TEST_CASE("a run stops before the first pending migration of a later phase") {
    std::vector<Migration> ms = {
        migration(1, "add", Phase::expand), migration(2, "fill", Phase::backfill),
        migration(3, "drop", Phase::contract), migration(4, "add_more", Phase::expand)};
    std::vector<sm::deploy::Step> steps;
    steps.reserve(ms.size());
    for (const auto& m : ms) {
        steps.push_back({&m, std::nullopt});
    }
    auto through_backfill = sm::deploy::cut_at_phase(steps, Phase::backfill);
    CHECK(through_backfill.steps.size() == 2);
    // The expand after the contract waits too: versions stay in order.
    CHECK(sm::deploy::describe_held(through_backfill.held) ==
          std::vector<std::string>{"3_drop (contract)", "4_add_more (expand)"});
    CHECK(sm::deploy::held_line(sm::deploy::describe_held(through_backfill.held)) ==
          "left for a later phase: 3_drop (contract), 4_add_more (expand); apply with: "
          "safe-migrate execute --through contract");
    CHECK(sm::deploy::cut_at_phase(steps, Phase::expand).steps.size() == 1);
    CHECK(sm::deploy::cut_at_phase(steps, Phase::contract).held.empty());
    CHECK(sm::deploy::held_line({}).empty());
}

TEST_CASE("phase directives parse, and an unknown phase names the file and line") {
    std::vector<sm::core::SourceProblem> problems;
    auto d = sm::core::parse_directives("1_a.up.sql",
                                        "-- safe-migrate: phase=contract\n"
                                        "-- safe-migrate: change=email_lower\nSELECT 1;\n",
                                        problems);
    CHECK(problems.empty());
    CHECK(d.phase == Phase::contract);
    CHECK(d.change == "email_lower");
    sm::core::parse_directives("1_a.up.sql", "-- safe-migrate: phase=later\n", problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].describe() ==
          "1_a.up.sql:1: directive phase: unknown phase 'later' (known: expand, backfill, "
          "contract)");
}

}  // namespace deploy_phases_test
