// Unit tests for src/seed/seed_status.{hpp,cpp} and the [seed] config table.

#include "seed/seed_status.hpp"

#include <catch2/catch.hpp>

#include "core/config.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_status_test {

using sm::seed::AppliedSeed;
using sm::seed::compute_seed_status;
using sm::seed::Seed;
using sm::seed::SeedSet;
using sm::seed::SeedState;
using sm_test::capture_error;
using sm_test::contains;

namespace {

Seed make(const std::string& id, const std::string& checksum, bool rerunnable = false) {
    Seed s;
    s.id = id;
    s.checksum = checksum;
    s.rerunnable = rerunnable;
    s.environments = {"dev"};
    return s;
}

AppliedSeed applied(const std::string& id, const std::string& checksum) {
    AppliedSeed a;
    a.id = id;
    a.checksum = checksum;
    a.environment = "dev";
    return a;
}

}  // namespace

TEST_CASE("seed status: pending, applied, re-run, changed and missing", "[seed_status]") {
    SeedSet set;
    set.seeds = {make("1_a", "x"), make("2_b", "y"), make("3_c", "z", true), make("4_d", "w"),
                 make("5_other", "v")};
    std::vector<const Seed*> ordered = {&set.seeds[0], &set.seeds[1], &set.seeds[2], &set.seeds[3]};
    auto report =
        compute_seed_status(set, ordered,
                            {applied("1_a", "x"), applied("3_c", "old"), applied("4_d", "old"),
                             applied("5_other", "v"), applied("9_gone", "q")});
    REQUIRE(report.entries.size() == 5);
    CHECK(report.entries[0].state == SeedState::applied);
    CHECK(report.entries[1].state == SeedState::pending);
    CHECK(report.entries[2].state == SeedState::rerun);
    CHECK(report.entries[3].state == SeedState::changed);
    CHECK(report.entries[4].id == "9_gone");
    CHECK(report.entries[4].state == SeedState::missing);
    CHECK(report.entries[4].seed == nullptr);
    CHECK(report.has_pending());
    CHECK(report.has_drift());
    CHECK(std::string(sm::seed::state_name(SeedState::rerun)) == "rerun");
}

TEST_CASE("[seed] sets the directory (relative to the project) and the scale", "[seed_status]") {
    auto config = sm::core::parse_config("[seed]\ndir = \"data/seeds\"\nscale = 20\n",
                                         "/srv/app/safe-migrate.toml", std::nullopt);
    CHECK(config.seed.dir == std::filesystem::path("/srv/app/data/seeds"));
    CHECK(config.seed.scale == 20);
    CHECK_FALSE(sm::core::parse_config("", "/srv/app/safe-migrate.toml", std::nullopt).seed.dir);

    auto e = capture_error([] {
        sm::core::parse_config("[seed]\nscale = 0\n", "/srv/app/safe-migrate.toml", std::nullopt);
    });
    CHECK(contains(e.what(), "/srv/app/safe-migrate.toml:2"));
    CHECK(contains(e.what(), "seed.scale"));
    auto unknown = capture_error([] {
        sm::core::parse_config("[seed]\ndirectory = \"x\"\n", "/srv/app/safe-migrate.toml",
                               std::nullopt);
    });
    CHECK(contains(unknown.what(), "seed.directory"));
}

TEST_CASE("seed status: the detail beside each state", "[seed_status]") {
    Seed users = make("010_users", "a");
    sm::seed::Requirement req;
    req.id = "005_roles";
    users.requires_.push_back(req);
    sm::seed::SeedEntry e{"010_users", SeedState::pending, &users, std::nullopt};
    CHECK(sm::seed::entry_detail(e) == "requires 005_roles");
    e.seed = nullptr;
    CHECK(sm::seed::entry_detail(e).empty());
    e.state = SeedState::rerun;
    CHECK(sm::seed::entry_detail(e) == "file changed; re-runs on the next seed run");
    e.state = SeedState::changed;
    CHECK(sm::seed::entry_detail(e) == "file changed since it ran, and it is not re-runnable");
    e.state = SeedState::missing;
    CHECK(sm::seed::entry_detail(e) == "recorded, but the file is gone");
    e.state = SeedState::applied;
    e.applied = applied("010_users", "a");
    CHECK(sm::seed::entry_detail(e).empty());
    e.applied->runs = 3;
    CHECK(sm::seed::entry_detail(e) == "3 runs");
}

}  // namespace seed_status_test
