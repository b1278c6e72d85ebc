// Unit tests for src/seed/seed_source.{hpp,cpp}: discovering seeds and their directives.

#include "seed/seed_source.hpp"

#include <catch2/catch.hpp>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_source_test {

using sm::ExitCode;
using sm::seed::load_seeds;
using sm::seed::SeedSet;
using sm_test::capture_error;
using sm_test::contains;
using sm_test::TempTree;

namespace {

std::string problems_of(const TempTree& t) {
    sm::Error e = capture_error([&] { load_seeds(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    return e.what();
}

}  // namespace

TEST_CASE("seeds come from the top level (environments named) and environment directories",
          "[seed_source]") {
    TempTree t;
    t.write("010_users.sql",
            "-- safe-migrate: environments=development, test\n"
            "-- safe-migrate: rerunnable\n"
            "INSERT INTO users VALUES (1);\n");
    t.write("010_users.rollback.sql", "DELETE FROM users;\n");
    t.write("development/020_orders.sql",
            "-- safe-migrate: requires=010_users\n"
            "-- safe-migrate: protected-ok\n"
            "INSERT INTO orders VALUES (1);\nINSERT INTO orders VALUES (2);\n");
    t.write("README.md", "not a seed\n");

    SeedSet set = load_seeds(t.path());
    REQUIRE(set.seeds.size() == 2);
    const auto& users = set.seeds[0];
    CHECK(users.id == "010_users");
    CHECK(users.order == 10);
    CHECK(users.environments == std::vector<std::string>{"development", "test"});
    CHECK(users.rerunnable);
    CHECK_FALSE(users.protected_ok);
    REQUIRE(users.rollback);
    CHECK(users.rollback->statements.size() == 1);
    CHECK(users.checksum.size() == 64);

    const auto& orders = set.seeds[1];
    CHECK(orders.environments == std::vector<std::string>{"development"});
    REQUIRE(orders.requires_.size() == 1);
    CHECK(orders.requires_[0].id == "010_users");
    CHECK(orders.requires_[0].line == 1);
    CHECK(orders.protected_ok);
    CHECK_FALSE(orders.rollback);
    CHECK(orders.script.statements.size() == 2);
    CHECK(orders.script.statements[1].line == 4);
    CHECK(set.find("020_orders") == &set.seeds[1]);
    CHECK(set.find("nope") == nullptr);
}

TEST_CASE("a missing seeds directory is an empty set", "[seed_source]") {
    TempTree t;
    CHECK(load_seeds(t.path() / "seeds").seeds.empty());
}

TEST_CASE("the seeds directory defaults to <migrations_dir>/seeds, [seed] dir overrides it",
          "[seed_source]") {
    sm::core::Config config;
    config.migrations_dir = "/srv/app/migrations";
    CHECK(sm::seed::seeds_dir(config) == "/srv/app/migrations/seeds");
    config.seed.dir = "/srv/app/data";
    CHECK(sm::seed::seeds_dir(config) == "/srv/app/data");
}

TEST_CASE("bad seed files are errors naming the file and line", "[seed_source]") {
    TempTree t;
    t.write("test/010_a.sql", "-- safe-migrate: no-transaction\nSELECT 1;\n");
    t.write("test/020_b.sql", "SELECT 1;\n-- safe-migrate: rerunnable\n");
    t.write("030_c.sql", "INSERT INTO c VALUES (1);\n");
    t.write("test/040_d.sql", "CREATE INDEX CONCURRENTLY d_idx ON d (x);\n");
    t.write("test/050_e.sql", "BEGIN;\nINSERT INTO e VALUES (1);\nCOMMIT;\n");
    t.write("test/060_f.rollback.sql", "DELETE FROM f;\n");
    t.write("test/070_g.sql", "-- safe-migrate: requires=070_g\nSELECT 1;\n");
    t.write("test/080_h.sql", "SELECT 1;\n");
    t.write("other/080_h.sql", "SELECT 2;\n");
    t.write("test/seed-one.sql", "SELECT 1;\n");
    t.write("test/090_i.sql", "-- safe-migrate: requires=\nSELECT 1;\n");
    t.write("test/100_j.sql", "SELEC 1;\n");
    t.write("test/110_k.sql", "   \n");
    t.write("test/120_l.sql", "SELECT 1;\n");
    t.write("test/120_l.rollback.sql", "-- safe-migrate: rerunnable\nDELETE FROM l;\n");

    std::string text = problems_of(t);
    auto dir = t.path().string();
    CHECK(contains(text, dir + "/test/010_a.sql:1: unknown directive 'no-transaction' (known in "
                               "seeds: environments=, requires=, rerunnable, protected-ok)"));
    CHECK(contains(text, dir + "/test/020_b.sql:2: directive 'rerunnable' must be in the header, "
                               "before the first statement"));
    CHECK(contains(text, dir + "/030_c.sql: seed belongs to no environment"));
    CHECK(contains(text, dir + "/test/040_d.sql:1: CREATE INDEX CONCURRENTLY cannot run in a "
                               "transaction, and a seed runs in one"));
    CHECK(contains(text, dir + "/test/050_e.sql:1: transaction control statement in a seed"));
    CHECK(contains(text, dir + "/test/050_e.sql:3: transaction control statement in a seed"));
    CHECK(contains(text, dir + "/test/060_f.rollback.sql: rollback file has no matching seed"));
    CHECK(contains(text, dir + "/test/070_g.sql:1: seed 070_g requires itself"));
    CHECK(contains(text, "/080_h.sql: duplicate seed id 080_h (also "));
    CHECK(contains(text, dir + "/test/seed-one.sql: cannot parse the seed file name"));
    CHECK(contains(text, dir + "/test/090_i.sql:1: directive requires needs a comma-separated "
                               "list of names, not ''"));
    CHECK(contains(text, dir + "/test/100_j.sql:1: col 1: syntax error"));
    CHECK(contains(text, dir + "/test/110_k.sql: file is empty"));
    CHECK(contains(text, dir + "/test/120_l.rollback.sql:1: directives belong in the seed file "
                               "120_l.sql, not its rollback file"));
}

TEST_CASE("migration discovery ignores the seeds directory inside the migrations directory",
          "[seed_source]") {
    TempTree t;
    t.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    t.write("seeds/010_users.sql", "-- safe-migrate: environments=test\nSELECT 1;\n");
    std::vector<sm::core::SourceProblem> problems;
    auto set = sm::core::load_migrations(t.path(), problems);
    CHECK(problems.empty());
    CHECK(set.migrations.size() == 1);
}

TEST_CASE("the example project's seeds load cleanly", "[seed_source]") {
    SeedSet set =
        load_seeds(std::filesystem::path(SM_FIXTURES) / ".." / ".." / "migrations" / "seeds");
    REQUIRE(set.seeds.size() == 4);
    CHECK(set.seeds[0].id == "010_users");
    CHECK(set.seeds[3].id == "090_developer_account");
    CHECK(set.seeds[3].environments == std::vector<std::string>{"development"});
    for (const auto& s : set.seeds) {
        CHECK(s.rollback);
    }
}

}  // namespace seed_source_test
