// init and new: the files they write, their names, and what they refuse.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/scaffold.hpp"
#include "planner/policy.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_scaffold_test {

using namespace sm::core;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// 2026-03-04 05:06:07 UTC
std::chrono::system_clock::time_point fixed_time() {
    return std::chrono::system_clock::from_time_t(1772600767);
}

}  // namespace

TEST_CASE("init writes a config that loads, a policy extending default, and migrations/",
          "[scaffold]") {
    sm::util::TempDir d("sm-unit-init");
    auto created = init_project(d.path(), "db/migrations");
    REQUIRE(created.size() == 3);
    CHECK(created[0] == d.path() / "safe-migrate.toml");
    CHECK(created[1] == d.path() / "safe-migrate-policy.toml");
    CHECK(fs::is_directory(d.path() / "db/migrations"));

    Config config = parse_config(sm::util::read_file(created[0]), created[0], "development");
    CHECK(config.migrations_dir == fs::absolute(d.path() / "db/migrations"));
    CHECK_THAT(sm::util::read_file(created[0]), Contains("# lock_timeout = \"3s\""));

    auto policy = sm::planner::parse_policy(sm::util::read_file(created[1]), created[1]);
    auto shipped = sm::planner::load_policy(std::string("default"));
    CHECK(sm::planner::policy_hash(policy) == sm::planner::policy_hash(shipped));
}

TEST_CASE("init refuses to overwrite any file and then writes nothing", "[scaffold]") {
    sm::util::TempDir d("sm-unit-init");
    std::ofstream(d.path() / "safe-migrate-policy.toml") << "# mine\n";
    try {
        init_project(d.path(), "migrations");
        FAIL("init overwrote a file");
    } catch (const sm::Error& e) {
        CHECK(e.code() == sm::ExitCode::invalid_input);
        CHECK_THAT(e.what(), Contains("safe-migrate-policy.toml already exists"));
    }
    CHECK_FALSE(fs::exists(d.path() / "safe-migrate.toml"));
    CHECK_FALSE(fs::exists(d.path() / "migrations"));
    CHECK(sm::util::read_file(d.path() / "safe-migrate-policy.toml") == "# mine\n");
}

TEST_CASE("new names the files by UTC time and the directives in them parse", "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    auto files = new_migration(d.path() / "migrations", "add_orders-status", false, fixed_time());
    REQUIRE(files.size() == 2);
    CHECK(files[0].filename() == "20260304050607_add_orders-status.up.sql");
    CHECK(files[1].filename() == "20260304050607_add_orders-status.down.sql");

    auto set = load_migrations(d.path() / "migrations");
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].version == 20260304050607);
    CHECK_FALSE(set.migrations[0].up.directives.no_transaction);
    CHECK_THAT(set.migrations[0].up.content, Contains("-- safe-migrate: <directive>"));
    REQUIRE(set.migrations[0].down);
}

TEST_CASE("new --no-transaction writes the directive into both files", "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    new_migration(d.path(), "index_orders", true, fixed_time());
    auto set = load_migrations(d.path());
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].up.directives.no_transaction);
    CHECK(set.migrations[0].down->directives.no_transaction);
}

TEST_CASE("new refuses a bad name, and a version already taken moves to the next second",
          "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    CHECK_THROWS_WITH(new_migration(d.path(), "add orders", false, fixed_time()),
                      Contains("migration name 'add orders' must be letters"));
    CHECK_THROWS_WITH(new_migration(d.path(), "", false, fixed_time()),
                      Contains("must be letters"));
    new_migration(d.path(), "first", false, fixed_time());
    new_migration(d.path(), "second", false, fixed_time());
    auto third = new_migration(d.path(), "third", false, fixed_time());
    CHECK(third[0].filename() == "20260304050609_third.up.sql");
    auto set = load_migrations(d.path());
    REQUIRE(set.migrations.size() == 3);
    CHECK(set.migrations[1].id() == "20260304050608_second");
}

}  // namespace core_scaffold_test
