// init and new: the files they write, their names, and what they refuse.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/config.hpp"
#include "core/layout.hpp"
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
    auto files = new_migration(d.path() / "migrations", Layout::native, "add_orders-status", false,
                               fixed_time());
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
    new_migration(d.path(), Layout::native, "index_orders", true, fixed_time());
    auto set = load_migrations(d.path());
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].up.directives.no_transaction);
    CHECK(set.migrations[0].down->directives.no_transaction);
}

TEST_CASE("new refuses a bad name, and a version already taken moves to the next second",
          "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    CHECK_THROWS_WITH(new_migration(d.path(), Layout::native, "add orders", false, fixed_time()),
                      Contains("migration name 'add orders' must be letters"));
    CHECK_THROWS_WITH(new_migration(d.path(), Layout::native, "", false, fixed_time()),
                      Contains("must be letters"));
    new_migration(d.path(), Layout::native, "first", false, fixed_time());
    new_migration(d.path(), Layout::native, "second", false, fixed_time());
    auto third = new_migration(d.path(), Layout::native, "third", false, fixed_time());
    CHECK(third[0].filename() == "20260304050609_third.up.sql");
    auto set = load_migrations(d.path());
    REQUIRE(set.migrations.size() == 3);
    CHECK(set.migrations[1].id() == "20260304050608_second");
}

TEST_CASE("new goes on counting in a native project numbered in sequence", "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    sm::util::write_file_atomic(d.path() / "0007_accounts.up.sql", "CREATE TABLE a (id int);\n");
    sm::util::write_file_atomic(d.path() / "0007_accounts.down.sql", "DROP TABLE a;\n");
    auto next = new_migration(d.path(), Layout::native, "orders", false, fixed_time());
    REQUIRE(next.size() == 2);
    CHECK(next[0].filename() == "0008_orders.up.sql");
    CHECK(next[1].filename() == "0008_orders.down.sql");
    auto set = load_migrations(d.path());
    REQUIRE(set.migrations.size() == 2);
    CHECK(set.migrations[1].id() == "8_orders");  // version 0008 is 8
}

namespace {

// The names new wrote, relative to dir, '/'-separated.
std::vector<std::string> names(const fs::path& dir, const std::vector<fs::path>& files) {
    std::vector<std::string> out;
    out.reserve(files.size());
    for (const auto& f : files) {
        out.push_back(f.lexically_relative(dir).generic_string());
    }
    return out;
}

// dir read back in layout, with no problem.
MigrationSet read_back(const fs::path& dir, Layout layout) {
    std::vector<SourceProblem> problems;
    auto set = load_layout(dir, layout, problems);
    for (const auto& p : problems) {
        FAIL_CHECK(p.describe());
    }
    return set;
}

}  // namespace

TEST_CASE("new in each layout: its tool's names, read back by its reader", "[scaffold]") {
    using V = std::vector<std::string>;
    struct Case {
        V files;
        Layout layout;
        bool down;
    };
    const Case cases[] = {
        {V{"20260304050607_add_x.up.sql", "20260304050607_add_x.down.sql"}, Layout::native, true},
        {V{"V1__add_x.sql", "U1__add_x.sql"}, Layout::flyway, true},
        {V{"20260304050607_add_x.sql"}, Layout::dbmate, false},
        {V{"20260304050607_add_x.up.sql", "20260304050607_add_x.down.sql"}, Layout::golang_migrate,
         true},
        {V{"20260304050607_add_x.sql"}, Layout::goose, false},
        {V{"2026-03-04-050607_add_x/up.sql", "2026-03-04-050607_add_x/down.sql"}, Layout::diesel,
         false},
        {V{"20260304050607_add_x/migration.sql"}, Layout::prisma, false},
    };
    for (const auto& c : cases) {
        INFO(layout_name(c.layout));
        sm::util::TempDir d("sm-unit-new");
        fs::path dir = d.path() / "m";
        CHECK(names(dir, new_migration(dir, c.layout, "add_x", false, fixed_time())) == c.files);
        auto set = read_back(dir, c.layout);
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].name == "add_x");
        CHECK_FALSE(set.migrations[0].up.directives.no_transaction);
        // A template's down holds only comments: the sectioned and diesel
        // readers see no down until one is written.
        CHECK(set.migrations[0].down.has_value() == c.down);
    }
}

TEST_CASE("new --no-transaction writes each layout's own marker, read back", "[scaffold]") {
    const std::pair<Layout, const char*> cases[] = {
        {Layout::flyway, "V1__ix.sql.conf"},
        {Layout::dbmate, "-- migrate:up transaction:false"},
        {Layout::golang_migrate, "-- safe-migrate: no-transaction"},
        {Layout::goose, "-- +goose NO TRANSACTION"},
        {Layout::diesel, "run_in_transaction = false"},
        {Layout::prisma, "-- safe-migrate: no-transaction"},
    };
    for (const auto& [layout, marker] : cases) {
        INFO(layout_name(layout));
        sm::util::TempDir d("sm-unit-new");
        auto files = new_migration(d.path(), layout, "ix", true, fixed_time());
        std::string all;
        for (const auto& f : files) {
            all += f.filename().string() + "\n" + sm::util::read_file(f);
        }
        CHECK_THAT(all, Contains(marker));
        auto set = read_back(d.path(), layout);
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].up.directives.no_transaction);
    }
}

TEST_CASE("new follows a sequential project's numbering and flyway's version style", "[scaffold]") {
    sm::util::TempDir d("sm-unit-new");
    auto write = [&](const fs::path& rel, const std::string& text) {
        fs::create_directories((d.path() / rel).parent_path());
        sm::util::write_file_atomic(d.path() / rel, text);
    };
    write("gm/000009_a.up.sql", "SELECT 1;\n");
    CHECK(names(d.path() / "gm",
                new_migration(d.path() / "gm", Layout::golang_migrate, "b", false, fixed_time())) ==
          std::vector<std::string>{"000010_b.up.sql", "000010_b.down.sql"});
    write("goose/00001_a.sql", "-- +goose Up\nSELECT 1;\n");
    CHECK(names(d.path() / "goose", new_migration(d.path() / "goose", Layout::goose, "b", false,
                                                  fixed_time()))[0] == "00002_b.sql");
    // A timestamped project stays timestamped.
    write("goose2/20240101090000_a.sql", "-- +goose Up\nSELECT 1;\n");
    CHECK(names(d.path() / "goose2", new_migration(d.path() / "goose2", Layout::goose, "b", false,
                                                   fixed_time()))[0] == "20260304050607_b.sql");

    const std::pair<const char*, const char*> flyway[] = {
        {"V3__a.sql", "V4__b.sql"},          {"V009__a.sql", "V010__b.sql"},
        {"V1.2.9__a.sql", "V1.2.10__b.sql"}, {"V1_2__a.sql", "V1_3__b.sql"},
        {"sub/V2.0__a.sql", "V2.1__b.sql"},  {"V20240101090000__a.sql", "V20260304050607__b.sql"},
    };
    for (const auto& [existing, next] : flyway) {
        INFO(existing);
        sm::util::TempDir f("sm-unit-new");
        fs::create_directories((f.path() / existing).parent_path());
        sm::util::write_file_atomic(f.path() / existing, "SELECT 1;\n");
        CHECK(names(f.path(),
                    new_migration(f.path(), Layout::flyway, "b", false, fixed_time()))[0] == next);
        CHECK(read_back(f.path(), Layout::flyway).migrations.size() == 2);
    }
}

TEST_CASE("new in a timestamped layout moves past a second already taken", "[scaffold]") {
    for (Layout layout : {Layout::dbmate, Layout::diesel, Layout::prisma}) {
        INFO(layout_name(layout));
        sm::util::TempDir d("sm-unit-new");
        new_migration(d.path(), layout, "first", false, fixed_time());
        auto second = new_migration(d.path(), layout, "second", false, fixed_time());
        CHECK_THAT(second[0].string(), Contains("050608_second"));
        CHECK(read_back(d.path(), layout).migrations.size() == 2);
    }
}

}  // namespace core_scaffold_test
