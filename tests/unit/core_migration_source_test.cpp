// Unit tests for src/core/migration_source.{hpp,cpp}.
// Each test writes its migrations into its own mkdtemp directory under /tmp.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "core/checksum.hpp"
#include "core/migration_source.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_migration_source_test {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::core::FileDirectives;
using sm::core::load_migrations;
using sm::core::MigrationSet;
using sm::core::parse_directives;
using sm::core::read_migration_file;
using sm::core::SourceProblem;
using sm_test::capture_error;
using sm_test::TempTree;

namespace {

// Counts the problem lines ("\n  <file>...") in a load_migrations error.
size_t problem_lines(const std::string& message) {
    size_t n = 0;
    for (size_t pos = message.find("\n  "); pos != std::string::npos;
         pos = message.find("\n  ", pos + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("load_migrations orders versions numerically", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("10_ten.up.sql", "SELECT 10;\n");
    t.write("2_two.up.sql", "SELECT 2;\n");
    t.write("1_one.up.sql", "SELECT 1;\n");
    t.write("20260101090000_stamp.up.sql", "SELECT 4;\n");
    t.write("2_two.down.sql", "SELECT -2;\n");

    MigrationSet set = load_migrations(t.path());
    CHECK(set.dir == t.path());
    REQUIRE(set.migrations.size() == 4);
    CHECK(set.migrations[0].version == 1);
    CHECK(set.migrations[1].version == 2);
    CHECK(set.migrations[2].version == 10);
    CHECK(set.migrations[3].version == 20260101090000);
    CHECK(set.migrations[3].id() == "20260101090000_stamp");
    CHECK(set.migrations[1].name == "two");
    CHECK(set.migrations[1].up.path == t.path() / "2_two.up.sql");
    REQUIRE(set.migrations[1].down.has_value());
    CHECK(set.migrations[1].down->content == "SELECT -2;\n");
    CHECK_FALSE(set.migrations[0].down.has_value());
    CHECK(set.migrations[0].up.content == "SELECT 1;\n");
    CHECK(set.migrations[0].up.checksum == sm::core::migration_checksum("SELECT 1;\n"));

    REQUIRE(set.find(10) != nullptr);
    CHECK(set.find(10)->name == "ten");
    CHECK(set.find(3) == nullptr);
}

TEST_CASE("load_migrations accepts names with letters, digits, '_' and '-'", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("007_Add-Users_2.up.sql", "SELECT 1;\n");
    MigrationSet set = load_migrations(t.path());
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].version == 7);
    CHECK(set.migrations[0].name == "Add-Users_2");
    CHECK(set.migrations[0].id() == "7_Add-Users_2");
}

TEST_CASE("load_migrations ignores non-.sql files and subdirectories", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n");
    t.write("README.md", "not a migration");
    t.write("notes.txt", "x");
    t.write("1_a.up.sql.orig", "");
    t.write(".gitkeep", "");
    t.write("archive/2_old.up.sql", "SELECT 2;\n");
    t.write("archive/garbage.sql", "");
    std::filesystem::create_directories(t.path() /
                                        "3_dir.up.sql");  // a directory with a migration's name

    MigrationSet set = load_migrations(t.path());
    REQUIRE(set.migrations.size() == 1);
    CHECK(set.migrations[0].id() == "1_a");
}

TEST_CASE("load_migrations on an empty directory gives no migrations", "[migration_source]") {
    TempTree t("sm-unit-ms");
    CHECK(load_migrations(t.path()).migrations.empty());
}

TEST_CASE("load_migrations on a missing directory is invalid input", "[migration_source]") {
    TempTree t("sm-unit-ms");
    auto e = capture_error([&] { load_migrations(t.path() / "nope"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("nope"));
    CHECK_THAT(e.what(), Contains("does not exist"));
}

TEST_CASE("duplicate versions name both files", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n");
    t.write("001_b.up.sql", "SELECT 1;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("duplicate version 1"));
    CHECK_THAT(e.what(), Contains("1_a.up.sql"));
    CHECK_THAT(e.what(), Contains("001_b.up.sql"));
}

TEST_CASE("an up and a down with different names for one version are duplicates",
          "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("5_create.up.sql", "SELECT 1;\n");
    t.write("5_other.down.sql", "SELECT 1;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK_THAT(e.what(), Contains("duplicate version 5"));
    CHECK_THAT(e.what(), Contains("5_create.up.sql"));
    CHECK_THAT(e.what(), Contains("5_other.down.sql"));
}

TEST_CASE("a .sql file whose name does not parse is an error", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_ok.up.sql", "SELECT 1;\n");
    t.write("foo.sql", "SELECT 1;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("foo.sql"));
    CHECK_THAT(e.what(), Contains("cannot parse the file name"));
}

TEST_CASE("other unparsable .sql names", "[migration_source]") {
    for (const char* bad : {"1_a.sql", "a_1.up.sql", "1-a.up.sql", "1_a.sideways.sql",
                            "1_a b.up.sql", "1_.up.sql", "_a.up.sql", "1_a.b.up.sql"}) {
        INFO(bad);
        TempTree t("sm-unit-ms");
        t.write(bad, "SELECT 1;\n");
        auto e = capture_error([&] { load_migrations(t.path()); });
        CHECK_THAT(e.what(), Contains(bad));
        CHECK_THAT(e.what(), Contains("cannot parse"));
    }
}

TEST_CASE("a down without an up is an error", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n");
    t.write("2_b.down.sql", "SELECT 1;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("2_b.down.sql"));
    CHECK_THAT(e.what(), Contains("no matching up"));
}

TEST_CASE("an empty file is an error", "[migration_source]") {
    for (const std::string& content :
         {std::string(""), std::string("  \n\t\r\n"), std::string("\xEF\xBB\xBF\n")}) {
        TempTree t("sm-unit-ms");
        t.write("1_a.up.sql", content);
        auto e = capture_error([&] { load_migrations(t.path()); });
        CHECK(e.code() == ExitCode::invalid_input);
        CHECK_THAT(e.what(), Contains("1_a.up.sql: file is empty"));
    }
}

TEST_CASE("invalid UTF-8 is an error naming the line", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n-- ok line\nSELECT 'caf\xE9';\n");  // Latin-1 é
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("1_a.up.sql:3:"));
    CHECK_THAT(e.what(), Contains("invalid UTF-8"));
    CHECK_THAT(e.what(), Contains("byte 32"));
}

TEST_CASE("an unknown directive names the file and line", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "-- a comment\n-- safe-migrate: frobnicate\nSELECT 1;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(e.what(), Contains("1_a.up.sql:2:"));
    CHECK_THAT(e.what(), Contains("unknown directive 'frobnicate'"));
}

TEST_CASE("a directive after the first statement is an error", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n\n-- safe-migrate: no-transaction\nSELECT 2;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK_THAT(e.what(), Contains("1_a.up.sql:3:"));
    CHECK_THAT(e.what(), Contains("must be in the header"));
}

TEST_CASE("header directives are parsed", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql",
            "-- Builds the index without blocking writes.\n"
            "-- safe-migrate: no-transaction\n"
            "--safe-migrate: lock-timeout=5s\n"
            "  -- safe-migrate:   statement-timeout = 30min  \n"
            "\n"
            "CREATE INDEX CONCURRENTLY i ON t (x);\n");
    t.write("2_b.up.sql", "SELECT 1;\n");
    MigrationSet set = load_migrations(t.path());
    REQUIRE(set.migrations.size() == 2);
    const FileDirectives& d = set.migrations[0].up.directives;
    CHECK(d.no_transaction);
    CHECK(d.lock_timeout == std::optional<std::chrono::milliseconds>(5s));
    CHECK(d.statement_timeout == std::optional<std::chrono::milliseconds>(30min));
    CHECK(d.allows.empty());

    const FileDirectives& none = set.migrations[1].up.directives;
    CHECK_FALSE(none.no_transaction);
    CHECK_FALSE(none.lock_timeout.has_value());
    CHECK_FALSE(none.statement_timeout.has_value());
}

TEST_CASE("directives are found in CRLF files with a BOM", "[migration_source]") {
    TempTree t("sm-unit-ms");
    auto path = t.write("1_a.up.sql",
                        "\xEF\xBB\xBF-- safe-migrate: no-transaction\r\n-- safe-migrate: "
                        "lock-timeout=1s\r\nVACUUM;\r\n");
    std::vector<SourceProblem> problems;
    auto file = read_migration_file(path, problems);
    CHECK(problems.empty());
    CHECK(file.directives.no_transaction);
    CHECK(file.directives.lock_timeout == std::optional<std::chrono::milliseconds>(1s));
    CHECK(file.checksum == sm::core::migration_checksum(file.content));
}

TEST_CASE("parse_directives: bad values", "[migration_source]") {
    std::vector<SourceProblem> problems;
    parse_directives("f.sql",
                     "-- safe-migrate: lock-timeout=soon\n"
                     "-- safe-migrate: statement-timeout=-1s\n"
                     "-- safe-migrate: no-transaction=yes\n"
                     "SELECT 1;\n",
                     problems);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].line == 1);
    CHECK_THAT(problems[0].message, Contains("lock-timeout"));
    CHECK_THAT(problems[0].message, Contains("soon"));
    CHECK(problems[1].line == 2);
    CHECK_THAT(problems[1].message, Contains("statement-timeout"));
    CHECK(problems[2].line == 3);
    CHECK_THAT(problems[2].message, Contains("unknown directive"));
}

TEST_CASE("parse_directives: allow directives", "[migration_source]") {
    std::vector<SourceProblem> problems;
    FileDirectives d =
        parse_directives("f.sql",
                         "-- safe-migrate: allow add-column-default reason=\"table is tiny\"\n"
                         "ALTER TABLE t ADD COLUMN c int DEFAULT 1;\n"
                         "-- safe-migrate: allow lock-table reason=\"off-hours\"\n"
                         "LOCK TABLE t;\n",
                         problems);
    CHECK(problems.empty());
    REQUIRE(d.allows.size() == 2);
    CHECK(d.allows[0].rule == "add-column-default");
    CHECK(d.allows[0].reason == "table is tiny");
    CHECK(d.allows[0].line == 1);
    CHECK(d.allows[0].whole_file);
    CHECK(d.allows[1].rule == "lock-table");
    CHECK(d.allows[1].reason == "off-hours");
    CHECK(d.allows[1].line == 3);
    CHECK_FALSE(d.allows[1].whole_file);  // after the first statement
}

TEST_CASE("an allow directive without a reason is an error", "[migration_source]") {
    std::vector<SourceProblem> problems;
    parse_directives("f.sql",
                     "-- safe-migrate: allow lock-table\n"
                     "-- safe-migrate: allow lock-table reason=\"  \"\n"
                     "-- safe-migrate: allow\n"
                     "SELECT 1;\n",
                     problems);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].line == 1);
    CHECK_THAT(problems[0].message, Contains("no reason"));
    CHECK(problems[1].line == 2);
    CHECK_THAT(problems[1].message, Contains("no reason"));
    CHECK(problems[2].line == 3);

    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "-- safe-migrate: allow lock-table\nLOCK TABLE t;\n");
    auto e = capture_error([&] { load_migrations(t.path()); });
    CHECK_THAT(e.what(), Contains("1_a.up.sql:1:"));
    CHECK_THAT(e.what(), Contains("no reason"));
}

TEST_CASE("SourceProblem::describe", "[migration_source]") {
    CHECK(SourceProblem{"migrations/1_a.up.sql", 3, "unknown directive 'foo'"}.describe() ==
          "migrations/1_a.up.sql:3: unknown directive 'foo'");
    CHECK(SourceProblem{"migrations/1_a.up.sql", 0, "file is empty"}.describe() ==
          "migrations/1_a.up.sql: file is empty");
}

TEST_CASE("throw_if_problems", "[migration_source]") {
    CHECK_NOTHROW(sm::core::throw_if_problems({}, "dir"));
    auto e = capture_error([] {
        sm::core::throw_if_problems(
            {{"b.sql", 2, "second"}, {"a.sql", 9, "first"}, {"b.sql", 1, "third"}}, "migrations");
    });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(std::string(e.what()) ==
          "3 problems in migrations:\n  a.sql:9: first\n  b.sql:1: third\n  b.sql:2: second");
    CHECK_FALSE(e.hint().empty());
}

TEST_CASE("all problems are reported together in one error", "[migration_source]") {
    TempTree t("sm-unit-ms");
    t.write("1_a.up.sql", "SELECT 1;\n");
    t.write("001_b.up.sql", "SELECT 1;\n");                                  // duplicate version
    t.write("foo.sql", "SELECT 1;\n");                                       // bad name
    t.write("3_c.down.sql", "SELECT 1;\n");                                  // down without up
    t.write("4_d.up.sql", "");                                               // empty
    t.write("5_e.up.sql", "SELECT '\xFF';\n");                               // invalid UTF-8
    t.write("6_f.up.sql", "-- safe-migrate: whatever\nSELECT 1;\n");         // unknown directive
    t.write("7_g.up.sql", "SELECT 1;\n-- safe-migrate: lock-timeout=1s\n");  // misplaced directive
    t.write("8_h.up.sql", "-- safe-migrate: allow x\nSELECT 1;\n");          // allow without reason
    t.write("9_ok.up.sql", "SELECT 1;\n");

    auto e = capture_error([&] { load_migrations(t.path()); });
    const std::string m = e.what();
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK_THAT(m, Contains("8 problems"));
    CHECK(problem_lines(m) == 8);
    CHECK_THAT(m, Contains("duplicate version 1"));
    CHECK_THAT(m, Contains("foo.sql"));
    CHECK_THAT(m, Contains("3_c.down.sql"));
    CHECK_THAT(m, Contains("4_d.up.sql: file is empty"));
    CHECK_THAT(m, Contains("5_e.up.sql:1: invalid UTF-8"));
    CHECK_THAT(m, Contains("6_f.up.sql:1: unknown directive"));
    CHECK_THAT(m, Contains("7_g.up.sql:2:"));
    CHECK_THAT(m, Contains("8_h.up.sql:1:"));
    CHECK_THAT(m, !Contains("9_ok"));
}

TEST_CASE("read_migration_file reads bytes as they are", "[migration_source]") {
    TempTree t("sm-unit-ms");
    const std::string bytes =
        "\xEF\xBB\xBF"
        "SELECT 1;\r\n";
    auto path = t.write("1_a.up.sql", bytes);
    std::vector<SourceProblem> problems;
    auto file = read_migration_file(path, problems);
    CHECK(problems.empty());
    CHECK(file.path == path);
    CHECK(file.content == bytes);
    CHECK(file.checksum == sm::core::migration_checksum("SELECT 1;\n"));
}

TEST_CASE("load_migrations on the fixture project", "[migration_source]") {
    const std::filesystem::path dir =
        std::filesystem::path(SM_FIXTURES) / "unit/project/migrations";
    MigrationSet set = load_migrations(dir);
    REQUIRE(set.migrations.size() == 3);
    CHECK(set.migrations[0].id() == "1_create_users");
    CHECK(set.migrations[0].down.has_value());
    CHECK(set.migrations[1].id() == "2_users_email_idx");
    CHECK(set.migrations[1].up.directives.no_transaction);
    CHECK(set.migrations[1].up.directives.lock_timeout ==
          std::optional<std::chrono::milliseconds>(5s));
    CHECK(set.migrations[2].id() == "10_seed");
    CHECK(set.migrations[2].up.directives.statement_timeout ==
          std::optional<std::chrono::milliseconds>(30min));
    REQUIRE(set.migrations[2].up.directives.allows.size() == 1);
    CHECK(set.migrations[2].up.directives.allows[0].rule == "insert-data");
    CHECK(set.migrations[2].up.directives.allows[0].line == 3);
    CHECK_FALSE(set.migrations[2].up.directives.allows[0].whole_file);
}

}  // namespace core_migration_source_test
