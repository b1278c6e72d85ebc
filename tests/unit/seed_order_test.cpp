// Unit tests for src/seed/seed_order.{hpp,cpp}: dependency order, missing
// dependencies and cycles.

#include "seed/seed_order.hpp"

#include <catch2/catch.hpp>

#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_order_test {

using sm::ExitCode;
using sm::seed::order_all;
using sm::seed::order_for_environment;
using sm::seed::Seed;
using sm::seed::SeedSet;
using sm_test::capture_error;

namespace {

Seed make(const std::string& id, std::vector<std::string> requires_ = {},
          std::vector<std::string> environments = {"dev"}) {
    Seed s;
    s.id = id;
    s.order = std::stoll(id.substr(0, id.find('_')));
    s.path = "/p/seeds/" + id + ".sql";
    s.environments = std::move(environments);
    int line = 1;
    for (auto& r : requires_) {
        s.requires_.push_back({std::move(r), line++});
    }
    return s;
}

std::string ids(const std::vector<const Seed*>& seeds) {
    std::string out;
    for (const Seed* s : seeds) {
        out += (out.empty() ? "" : " ") + s->id;
    }
    return out;
}

}  // namespace

TEST_CASE("seeds run by order unless a requirement comes later", "[seed_order]") {
    SeedSet set;
    set.seeds = {make("1_a", {"5_e"}), make("2_b"),          make("3_c", {"1_a", "2_b"}),
                 make("4_d"),          make("5_e", {"4_d"}), make("6_f", {}, {"test"})};
    CHECK(ids(order_for_environment(set, "dev")) == "2_b 4_d 5_e 1_a 3_c");
    CHECK(ids(order_for_environment(set, "test")) == "6_f");
    CHECK(ids(order_for_environment(set, "prod")).empty());
    CHECK(ids(order_all(set)) == "2_b 4_d 5_e 1_a 3_c 6_f");
}

TEST_CASE("a missing dependency names the seed, its file and line, and the id", "[seed_order]") {
    SeedSet set;
    set.seeds = {make("1_a"), make("2_b", {"1_a", "9_nope"}), make("3_c", {"4_t"}),
                 make("4_t", {}, {"test"})};
    sm::Error e = capture_error([&] { order_for_environment(set, "dev"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(std::string(e.what()) ==
          "missing seed dependencies:\n"
          "  /p/seeds/2_b.sql:2: seed 2_b requires 9_nope, which does not exist\n"
          "  /p/seeds/3_c.sql:1: seed 3_c requires 4_t, which is not a seed of environment "
          "'dev'");
}

TEST_CASE("a dependency cycle is an error naming it", "[seed_order]") {
    SeedSet set;
    set.seeds = {make("1_a"), make("2_b", {"4_d"}), make("3_c", {"2_b"}), make("4_d", {"3_c"}),
                 make("5_e", {"2_b"})};
    sm::Error e = capture_error([&] { order_for_environment(set, "dev"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(std::string(e.what()) == "seed dependency cycle: 2_b -> 4_d -> 3_c -> 2_b");

    SeedSet self;
    self.seeds = {make("1_a", {"2_b"}), make("2_b", {"1_a"})};
    CHECK(std::string(capture_error([&] { order_all(self); }).what()) ==
          "seed dependency cycle: 1_a -> 2_b -> 1_a");
}

TEST_CASE("an ordering error's hint says what the calling command did not do", "[seed_order]") {
    SeedSet cycle;
    cycle.seeds = {make("1_a", {"2_b"}), make("2_b", {"1_a"})};
    SeedSet missing;
    missing.seeds = {make("1_a", {"9_nope"})};

    // seed run, seed clear, reset: each names what it did not do.
    CHECK(capture_error([&] { order_for_environment(cycle, "dev", "Nothing was seeded."); })
              .hint()
              .rfind("Nothing was seeded. A seed cannot require", 0) == 0);
    CHECK(capture_error([&] { order_for_environment(cycle, "dev", "Nothing was rolled back."); })
              .hint()
              .rfind("Nothing was rolled back. A seed cannot require", 0) == 0);
    CHECK(capture_error([&] {
              order_for_environment(missing, "dev", "Nothing was dropped.");
          }).hint() == "Nothing was dropped. Fix the requires= directives, or add the seeds.");

    // status only reads: the hint says how to fix it, and nothing about seeding.
    CHECK(capture_error([&] { order_all(cycle); }).hint() ==
          "A seed cannot require, directly or not, itself; fix the requires= directives.");
    CHECK(capture_error([&] { order_for_environment(missing, "dev"); }).hint() ==
          "Fix the requires= directives, or add the seeds.");
}

}  // namespace seed_order_test
