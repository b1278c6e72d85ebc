// load_project (src/planner/project.cpp) parses the scripts on every core: each
// version still gets its own script, and the problems are all reported, the up
// files' stopping the load and the down files' kept for rollback.
#include <catch2/catch.hpp>
#include <string>

#include "planner/project.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_project_test {

using namespace sm::planner;
using Catch::Matchers::Contains;
using sm_test::TempTree;

namespace {

constexpr int k_count = 60;

// k_count migrations, table t<i> each; broken(i, down) says which files hold a
// syntax error.
struct ManyFiles {
    TempTree tree{"sm-unit-project"};

    template <class Broken>
    explicit ManyFiles(Broken broken) {
        tree.write("safe-migrate.toml", "");
        for (int i = 1; i <= k_count; ++i) {
            std::string t = "t" + std::to_string(i);
            std::string stem = "migrations/" + std::to_string(i) + "_" + t;
            tree.write(stem + ".up.sql", broken(i, false) ? "CREATE TABLE (;\n"
                                                          : "CREATE TABLE " + t + " (id int);\n");
            tree.write(stem + ".down.sql",
                       broken(i, true) ? "DROP TABLE (;\n" : "DROP TABLE " + t + ";\n");
        }
    }

    Project load() const {
        return load_project(
            {tree.path() / "safe-migrate.toml", std::nullopt, tree.path() / "migrations", {}});
    }
};

}  // namespace

TEST_CASE("project: every script is parsed into its own version's place", "[project]") {
    ManyFiles files([](int i, bool down) { return down && i % 11 == 0; });
    Project project = files.load();
    REQUIRE(project.up.size() == k_count);
    CHECK(project.down.size() == k_count - 5);  // 11, 22, 33, 44, 55 are broken
    for (const auto& [version, script] : project.up) {
        REQUIRE(script.statements.size() == 1);
        CHECK(script.statements[0].sql == "CREATE TABLE t" + version.text() + " (id int)");
    }
    for (const auto& [version, script] : project.down) {
        CHECK(script.statements.at(0).sql == "DROP TABLE t" + version.text());
    }
    std::string broken;
    for (const auto& [version, problems] : project.broken_down) {
        broken += version.text() + ":" + std::to_string(problems.size()) + " ";
    }
    CHECK(broken == "11:1 22:1 33:1 44:1 55:1 ");
}

TEST_CASE("project: every broken up file is named, and nothing loads", "[project]") {
    ManyFiles files([](int i, bool down) { return !down && i % 7 == 0; });
    try {
        files.load();
        FAIL("the load should have stopped");
    } catch (const sm::Error& e) {
        std::string message = e.what();
        CHECK_THAT(message, Contains("8 problems in"));  // 7, 14, ..., 56
        for (int i = 7; i <= k_count; i += 7) {
            CHECK_THAT(message,
                       Contains("/" + std::to_string(i) + "_t" + std::to_string(i) + ".up.sql:1"));
        }
    }
}

}  // namespace planner_project_test
