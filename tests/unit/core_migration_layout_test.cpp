// Unit tests for src/core/migration_layout.{hpp,cpp}: a directory with no
// migrations, or another tool's, is named and explained.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/migration_layout.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_migration_layout_test {

using namespace sm;
using sm_test::TempTree;

namespace {

// The message require_migrations throws for dir (exit 3), or "" when it does not throw.
std::string refusal(const TempTree& dir) {
    core::MigrationSet set = core::load_migrations(dir.path());
    try {
        core::require_migrations(set);
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::invalid_input);
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("require_migrations says what an empty or foreign directory holds",
          "[migration_layout]") {
    TempTree dir;
    std::string prefix = "no migrations in " + dir.path().string();
    CHECK(refusal(dir) == prefix + ": it is empty");

    dir.write("README.md", "# notes\n");
    dir.write("notes/a.txt", "x\n");
    CHECK(refusal(dir) ==
          prefix + ": it holds 1 file and 1 subdirectory, none of them a migration");

    dir.write("20240101120000_create_users/up.sql", "CREATE TABLE users (id int);\n");
    CHECK(refusal(dir) == prefix + ": it looks like a diesel project (" +
                              "20240101120000_create_users/up.sql is a diesel migration)");

    dir.write("1_first.up.sql", "CREATE TABLE first (a int);\n");
    CHECK(refusal(dir).empty());
}

TEST_CASE("load_migrations names the layout when no file name parses", "[migration_layout]") {
    TempTree dir;
    dir.write("V1__create_users.sql", "CREATE TABLE users (id int);\n");
    try {
        core::load_migrations(dir.path());
        FAIL("a Flyway directory loaded");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::invalid_input);
        CHECK(std::string(e.what()).find(
                  dir.path().string() +
                  ": this looks like a flyway project (V1__create_users.sql is a flyway "
                  "migration), not safe-migrate's native layout: read it with --layout flyway") !=
              std::string::npos);
    }
}

}  // namespace core_migration_layout_test
