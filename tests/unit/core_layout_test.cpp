// Unit tests for src/core/layout.{hpp,cpp} and layout_readers.cpp: each tool's
// fixture project (tests/fixtures/layouts/<tool>) read into migrations, the
// sections of dbmate and goose files, the refusals, and detection.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/checksum.hpp"
#include "core/layout.hpp"
#include "core/migration_source.hpp"
#include "support/fixtures.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_layout_test {

using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::core::Layout;
using sm::core::load_layout;
using sm::core::Migration;
using sm::core::MigrationSet;
using sm::core::missing_down;
using sm::core::SourceProblem;
using sm_test::capture_error;
using sm_test::TempTree;

using sm::test::layouts_dir;

namespace {

MigrationSet load_ok(const std::filesystem::path& dir, Layout layout) {
    std::vector<SourceProblem> problems;
    MigrationSet set = load_layout(dir, layout, problems);
    for (const auto& p : problems) {
        FAIL(p.describe());
    }
    return set;
}

std::string problems_of(const std::filesystem::path& dir, Layout layout) {
    std::vector<SourceProblem> problems;
    load_layout(dir, layout, problems);
    std::string out;
    for (const auto& p : problems) {
        out += p.describe() + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("every fixture layout reads as the native project's three migrations", "[layout]") {
    struct Case {
        const char* dir;
        Layout layout;
        std::vector<int64_t> versions;
        bool downs;
    };
    const std::vector<int64_t> stamps = {20240101090000, 20240102090000, 20240103090000};
    for (const Case& c :
         {Case{"native", Layout::native, {1, 2, 3}, true},
          Case{"golang-migrate", Layout::golang_migrate, {1, 2, 3}, true},
          Case{"flyway", Layout::flyway, {1, 2, 3}, false},
          Case{"dbmate", Layout::dbmate, stamps, true}, Case{"goose", Layout::goose, stamps, true},
          Case{"diesel", Layout::diesel, stamps, true},
          Case{"prisma", Layout::prisma, stamps, false}}) {
        INFO(c.dir);
        MigrationSet set = load_ok(layouts_dir() / c.dir, c.layout);
        REQUIRE(set.migrations.size() == 3);
        for (size_t i = 0; i < 3; ++i) {
            CHECK(set.migrations[i].version == c.versions[i]);
        }
        CHECK(set.migrations[0].name == "create_users");
        CHECK(set.migrations[2].name == "create_posts");
        // The index migration runs outside a transaction: by the tool's marker
        // (native, flyway, dbmate, goose, diesel) or, with none, by the statement.
        bool marker = c.layout != Layout::golang_migrate && c.layout != Layout::prisma;
        CHECK(set.migrations[1].up.directives.no_transaction == marker);
        CHECK(set.migrations[0].up.directives.no_transaction == false);
        CHECK(set.migrations[0].down.has_value() == (c.downs || c.layout == Layout::flyway));
        CHECK(set.migrations[1].down.has_value() == c.downs);
    }
}

TEST_CASE("a dbmate file's up part stops at its down section, lines kept", "[layout]") {
    TempTree t;
    t.write("20240101000000_a.sql",
            "-- a comment\n"
            "-- migrate:up transaction:false\n"
            "CREATE TABLE a (id int);\n"
            "\n"
            "-- migrate:down\n"
            "DROP TABLE a;\n");
    MigrationSet set = load_ok(t.path(), Layout::dbmate);
    REQUIRE(set.migrations.size() == 1);
    const auto& m = set.migrations[0];
    CHECK(m.version == 20240101000000);
    CHECK(m.name == "a");
    CHECK(m.up.content == "\n-- migrate:up transaction:false\nCREATE TABLE a (id int);\n\n");
    CHECK(m.up.directives.no_transaction);
    REQUIRE(m.down);
    CHECK(m.down->content == "\n\n\n\n-- migrate:down\nDROP TABLE a;\n");
    CHECK_FALSE(m.down->directives.no_transaction);
    CHECK(m.up.path == m.down->path);
    CHECK(m.up.checksum == sm::core::migration_checksum(m.up.content));

    // Editing the down section leaves the up part's checksum alone.
    std::string before = m.up.checksum;
    t.write("20240101000000_a.sql",
            "-- a comment\n"
            "-- migrate:up transaction:false\n"
            "CREATE TABLE a (id int);\n"
            "\n"
            "-- migrate:down\n"
            "DROP TABLE a;\n"
            "DROP TABLE b;\n");
    CHECK(load_ok(t.path(), Layout::dbmate).migrations[0].up.checksum == before);
}

TEST_CASE("a dbmate file with an empty down section has no down", "[layout]") {
    TempTree t;
    t.write("1_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n-- nothing\n");
    CHECK_FALSE(load_ok(t.path(), Layout::dbmate).migrations[0].down.has_value());
}

TEST_CASE("dbmate refusals name the file", "[layout]") {
    TempTree t;
    t.write("1_no_sections.sql", "CREATE TABLE a (id int);\n");
    t.write("2_before.sql",
            "CREATE TABLE b (id int);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n");
    t.write("3_order.sql", "-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 1;\n");
    std::string problems = problems_of(t.path(), Layout::dbmate);
    CHECK_THAT(problems, Contains("1_no_sections.sql: dbmate needs a '-- migrate:up' section"));
    CHECK_THAT(problems, Contains("2_before.sql:2: statements before '-- migrate:up' never run"));
    CHECK_THAT(problems, Contains("3_order.sql: dbmate needs"));
}

TEST_CASE("goose: sections, NO TRANSACTION, .go files unsupported", "[layout]") {
    TempTree t;
    t.write("00001_a.sql",
            "-- +goose NO TRANSACTION\n"
            "-- +goose Up\n"
            "CREATE INDEX CONCURRENTLY i ON t (a);\n"
            "-- +goose Down\n"
            "DROP INDEX CONCURRENTLY i;\n");
    MigrationSet set = load_ok(t.path(), Layout::goose);
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].version == 1);
    CHECK(set.migrations[0].up.content ==
          "\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
    CHECK(set.migrations[0].up.directives.no_transaction);
    CHECK(set.migrations[0].down->directives.no_transaction);

    t.write("00002_code.go", "package migrations\n");
    CHECK_THAT(problems_of(t.path(), Layout::goose),
               Contains("00002_code.go: goose Go migrations are not supported"));
}

TEST_CASE("flyway: repeatables and orphan undo files are refused, naming the file", "[layout]") {
    TempTree t;
    t.write("V1__a.sql", "SELECT 1;\n");
    t.write("V1.2__b.sql", "SELECT 1;\n");
    t.write("V1.2.0__c.sql", "SELECT 1;\n");
    t.write("R__views.sql", "SELECT 1;\n");
    t.write("U7__orphan.sql", "SELECT 1;\n");
    std::string problems = problems_of(t.path(), Layout::flyway);
    CHECK_THAT(problems,
               Contains("V1.2__b.sql: duplicate version 1.2 (also used by V1.2.0__c.sql)"));
    CHECK_THAT(problems,
               Contains("R__views.sql: flyway repeatable migrations (R__) are not supported"));
    CHECK_THAT(problems, Contains("U7__orphan.sql: undo migration has no matching versioned"));
}

TEST_CASE("flyway: dotted versions in subfolders, in flyway's order", "[layout]") {
    TempTree t;
    t.write("V1.10__ten.sql", "SELECT 10;\n");
    t.write("V1.9__nine.sql", "SELECT 9;\n");
    t.write("sub/V1_2__two.sql", "SELECT 2;\n");
    t.write("sub/U1_2__two.sql", "SELECT -2;\n");
    t.write("V1__one.sql", "SELECT 1;\n");
    MigrationSet set = load_ok(t.path(), Layout::flyway);
    std::vector<std::string> ids;
    for (const auto& m : set.migrations) {
        ids.push_back(m.id());
    }
    CHECK(ids == std::vector<std::string>{"1_one", "1.2_two", "1.9_nine", "1.10_ten"});
    CHECK(set.migrations[1].down.has_value());
}

TEST_CASE("section_of keeps the text's line numbers", "[layout]") {
    CHECK(sm::core::section_of("a\nb\nc\nd\n", 2, 4) == "\nb\nc\n");
    CHECK(sm::core::section_of("a\nb\nc", 3, 0) == "\n\nc");
    CHECK(sm::core::section_of("a\nb\n", 1, 0) == "a\nb\n");
}

TEST_CASE("detect_layout names each fixture's tool, and nothing for native", "[layout]") {
    for (const auto& [dir, layout] :
         std::vector<std::pair<std::string, Layout>>{{"dbmate", Layout::dbmate},
                                                     {"goose", Layout::goose},
                                                     {"diesel", Layout::diesel},
                                                     {"prisma", Layout::prisma},
                                                     {"flyway", Layout::flyway}}) {
        INFO(dir);
        auto guess = sm::core::detect_layout(layouts_dir() / dir);
        REQUIRE(guess);
        CHECK(guess->layout == layout);
    }
    CHECK_FALSE(sm::core::detect_layout(layouts_dir() / "native"));
    CHECK_FALSE(sm::core::detect_layout(layouts_dir() / "golang-migrate"));
}

TEST_CASE("resolve_layout: an unset layout on another tool's directory says how to set it",
          "[layout]") {
    auto e =
        capture_error([] { sm::core::resolve_layout(std::nullopt, layouts_dir() / "dbmate"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(std::string(e.what()),
               Contains("looks like a dbmate project (20240101090000_create_users.sql has a "
                        "'-- migrate:up' section), not safe-migrate's native layout"));
    CHECK_THAT(e.hint(), Contains("Set layout = \"dbmate\" at the top of safe-migrate.toml"));
    CHECK(sm::core::resolve_layout(Layout::dbmate, layouts_dir() / "dbmate") == Layout::dbmate);
    CHECK(sm::core::resolve_layout(std::nullopt, layouts_dir() / "native") == Layout::native);
}

TEST_CASE("layout names round-trip", "[layout]") {
    for (const char* name :
         {"native", "flyway", "dbmate", "golang-migrate", "goose", "diesel", "prisma"}) {
        auto l = sm::core::parse_layout(name);
        REQUIRE(l);
        CHECK(std::string(sm::core::layout_name(*l)) == name);
    }
    CHECK_FALSE(sm::core::parse_layout("liquibase"));
}

TEST_CASE("missing_down names what each layout keeps its down in", "[layout]") {
    Migration m;
    m.up.path = "m/V1.2__add_x.sql";
    CHECK(missing_down(Layout::flyway, m) == "down file missing: m/U1.2__add_x.sql");
    m.up.path = "m/000004_add_x.up.sql";
    CHECK(missing_down(Layout::golang_migrate, m) == "down file missing: m/000004_add_x.down.sql");
    CHECK(missing_down(Layout::native, m) == "down file missing: m/000004_add_x.down.sql");
    m.up.path = "m/20240101090000_add_x.sql";
    CHECK(missing_down(Layout::dbmate, m) ==
          "no statements in the '-- migrate:down' section of m/20240101090000_add_x.sql");
    CHECK(missing_down(Layout::goose, m) ==
          "no statements in the '-- +goose Down' section of m/20240101090000_add_x.sql");
    m.up.path = "m/2024-01-01-090000_add_x/up.sql";
    CHECK(missing_down(Layout::diesel, m) ==
          "down file missing: m/2024-01-01-090000_add_x/down.sql");
    m.up.path = "m/20240101090000_add_x/migration.sql";
    CHECK(missing_down(Layout::prisma, m) ==
          "no down: prisma migrations have none (m/20240101090000_add_x/migration.sql)");
}

}  // namespace core_layout_test
