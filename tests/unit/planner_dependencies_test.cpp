// Unit tests for src/planner/dependencies.{hpp,cpp}: requires= resolved into a
// graph, cycles, unmet requirements, and the relations a migration creates and
// touches.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/migration_source.hpp"
#include "planner/dependencies.hpp"
#include "planner/script_builder.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_dependencies_test {

using sm::core::Migration;
using sm::core::MigrationSet;
using sm::core::SourceProblem;
using sm::core::Version;
using sm::planner::Dependencies;

namespace {

// A migration whose up file (in memory) is sql, its header directives parsed.
Migration dep_migration(const std::string& version, const std::string& name,
                        const std::string& sql) {
    Migration m;
    m.version = *Version::parse(version);
    m.name = name;
    std::vector<SourceProblem> problems;
    m.up =
        sm::core::migration_file("migrations/" + version + "_" + name + ".up.sql", sql, problems);
    REQUIRE(problems.empty());
    return m;
}

std::string dep_problems(const std::vector<SourceProblem>& problems) {
    std::string out;
    for (const auto& p : problems) {
        out += p.describe() + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("dependencies: versions, ids and a layout's own spelling name a migration") {
    MigrationSet set;
    set.migrations = {dep_migration("1.2", "flyway", "SELECT 1;\n"),
                      dep_migration("20240131120000", "diesel", "SELECT 1;\n"),
                      dep_migration("3", "native", "SELECT 1;\n")};
    auto found = [&](const std::string& text) {
        const Migration* m = sm::planner::find_requirement(set, text);
        return m == nullptr ? std::string("none") : m->id();
    };
    CHECK(found("1.2") == "1.2_flyway");
    CHECK(found("1_2") == "1.2_flyway");
    CHECK(found("V1_2") == "1.2_flyway");
    CHECK(found("1.2.0") == "1.2_flyway");
    CHECK(found("2024-01-31-120000") == "20240131120000_diesel");
    CHECK(found("3_native") == "3_native");
    CHECK(found("003") == "3_native");
    CHECK(found("4") == "none");
    CHECK(found("native") == "none");
}

TEST_CASE("dependencies: the graph, an unknown requirement and a cycle") {
    MigrationSet set;
    set.migrations = {dep_migration("1", "a", "SELECT 1;\n"),
                      dep_migration("2", "b", "-- safe-migrate: requires=1\nSELECT 1;\n"),
                      dep_migration("3", "c", "-- safe-migrate: requires=1, 2_b\nSELECT 1;\n")};
    std::vector<SourceProblem> problems;
    Dependencies d = Dependencies::build(set, problems);
    CHECK(problems.empty());
    CHECK(d.required_by(3) == std::vector<Version>{1, 2});
    CHECK(d.required_by(1).empty());
    CHECK(d.requirers_of(1) == std::vector<Version>{2, 3});

    set.migrations.push_back(dep_migration("4", "d", "-- safe-migrate: requires=9,4\nSELECT 1;\n"));
    set.migrations.push_back(dep_migration("5", "e", "-- safe-migrate: requires=7\nSELECT 1;\n"));
    set.migrations.push_back(dep_migration("6", "f", "-- safe-migrate: requires=5\nSELECT 1;\n"));
    set.migrations.push_back(dep_migration("7", "g", "-- safe-migrate: requires=6\nSELECT 1;\n"));
    problems.clear();
    Dependencies::build(set, problems);
    CHECK(dep_problems(problems) ==
          "migrations/4_d.up.sql:1: requires 9: no migration has this version or id\n"
          "migrations/4_d.up.sql:1: requires 4: a migration cannot require itself\n"
          "migrations/5_e.up.sql:1: requires cycle: 5_e.up.sql requires 7_g.up.sql requires "
          "6_f.up.sql requires 5_e.up.sql\n");
}

TEST_CASE("dependencies: a requirement is met by the history or an earlier step") {
    MigrationSet set;
    set.migrations = {dep_migration("1", "a", "SELECT 1;\n"),
                      dep_migration("2", "b", "-- safe-migrate: requires=3\nSELECT 1;\n"),
                      dep_migration("3", "c", "-- safe-migrate: requires=1\nSELECT 1;\n")};
    std::vector<SourceProblem> problems;
    Dependencies d = Dependencies::build(set, problems);
    using sm::planner::unmet_requirements;
    CHECK(unmet_requirements(set, d, {1}, {3, 2}).empty());
    CHECK(unmet_requirements(set, d, {1, 3}, {2}).empty());
    CHECK(unmet_requirements(set, d, {}, {1, 2, 3}) ==
          std::vector<std::string>{
              "2_b requires 3_c, which is neither applied nor applied earlier in this run"});
    CHECK(unmet_requirements(set, d, {}, {3}) ==
          std::vector<std::string>{
              "3_c requires 1_a, which is neither applied nor applied earlier in this run"});
}

TEST_CASE("dependencies: what a migration creates, and what a later one touches of it") {
    Migration creates = dep_migration("1", "a",
                                      "CREATE TABLE a (x int);\nCREATE TABLE tmp (y int);\n"
                                      "CREATE INDEX a_x_idx ON a (x);\nDROP TABLE tmp;\n"
                                      "CREATE VIEW v AS SELECT x FROM a;\n");
    auto created = sm::planner::created_relations(creates.up);
    CHECK(created == std::vector<std::string>{"public.a", "public.a_x_idx", "public.v"});

    auto touched_by = [&](const std::string& sql) {
        Migration later = dep_migration("2", "b", sql);
        std::vector<SourceProblem> problems;
        sm::core::Script script = sm::planner::build_script(later.up, problems);
        return sm::planner::touched_relations(later.up, script, created);
    };
    CHECK(touched_by("ALTER TABLE a ADD COLUMN z int;\n") == std::vector<std::string>{"public.a"});
    CHECK(touched_by("DROP INDEX a_x_idx;\n") == std::vector<std::string>{"public.a_x_idx"});
    CHECK(touched_by("CREATE INDEX a_z_idx ON public.a (x);\n") ==
          std::vector<std::string>{"public.a"});
    CHECK(touched_by("CREATE TABLE other (x int);\n").empty());
}

}  // namespace planner_dependencies_test
