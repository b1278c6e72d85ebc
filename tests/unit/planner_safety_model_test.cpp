// One safety model (issue 14): lint, plan and execute decide the transaction mode
// the same way; lint exempts only what the same file created, plan what the run
// created; plan weighs lock findings by table size; a broken down file never
// blocks an up migration under the default policy.
#include <catch2/catch.hpp>

#include "core/migration_source.hpp"
#include "lint_test_support.hpp"
#include "planner/linter.hpp"
#include "planner/plan.hpp"
#include "planner/policy.hpp"
#include "planner/project.hpp"
#include "planner/script_builder.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_safety_model_test {

using namespace sm::planner;
using Catch::Matchers::Contains;
using sm_test::TempTree;

using sm_test::of_rule;

namespace {

// A project of migration files in a temporary directory, loaded as execute loads it.
struct TestProject {
    TempTree tree{"sm-unit-model"};

    void write(const std::string& name, const std::string& sql) const {
        tree.write("migrations/" + name, sql);
    }

    Project load() const {
        tree.write("safe-migrate.toml", "");
        return load_project(
            {tree.path() / "safe-migrate.toml", std::nullopt, tree.path() / "migrations", {}});
    }

    // The plan of every migration as pending on an empty target.
    static Plan plan(const Project& project, const std::string& policy = "default") {
        PlanInput input;
        input.scripts = &project.up;
        input.policy = load_policy(policy);
        input.broken_down = &project.broken_down;
        for (const auto& m : project.migrations.migrations) {
            input.pending.push_back(&m);
        }
        return build_plan(input);
    }
};

}  // namespace

TEST_CASE("model: a file execute runs outside a transaction is linted outside one",
          "[model][transactions]") {
    const std::vector<std::pair<std::string, std::string>> files = {
        {"1_cic.up.sql",
         "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY orders_email ON orders (email);\n"},
        {"2_dic.up.sql", "DROP INDEX CONCURRENTLY IF EXISTS orders_email;\n"},
        {"3_detach.up.sql",
         "ALTER TABLE measurements DETACH PARTITION measurements_2019 CONCURRENTLY;\n"},
        {"4_reindex.up.sql", "REINDEX INDEX CONCURRENTLY orders_pkey;\n"},
        {"5_plain.up.sql", "ALTER TABLE orders ADD COLUMN note text;\n"},
        {"6_directive.up.sql",
         "-- safe-migrate: no-transaction\nALTER TABLE orders ADD COLUMN note2 text;\n"},
    };
    TestProject p;
    for (const auto& [name, sql] : files) {
        p.write(name, sql);
    }
    Project project = p.load();
    for (const auto& m : project.migrations.migrations) {
        INFO(m.up.path.string());
        const sm::core::Script& script = project.up.at(m.version);
        // lint alone, and inside a plan, agree with the script execute runs.
        LintReport lint = lint_files({m.up.path}, load_policy(std::string("default")), 1);
        CHECK(lint.files[0].no_transaction == !script.transactional);
        CHECK(of_rule(lint, "concurrent-in-transaction").empty());
    }
    Plan plan = TestProject::plan(project);
    for (const auto& pm : plan.migrations) {
        CHECK(pm.transactional == project.up.at(pm.version).transactional);
    }
    CHECK(of_rule(plan.lint, "concurrent-in-transaction").empty());
    CHECK_FALSE(project.up.at(1).transactional);
    CHECK(project.up.at(5).transactional);
}

TEST_CASE("model: CONCURRENTLY inside BEGIN ... COMMIT is still an error",
          "[model][transactions]") {
    TempTree t;
    auto f =
        t.write("1_block.up.sql", "BEGIN;\nCREATE INDEX CONCURRENTLY a_idx ON a (x);\nCOMMIT;\n");
    LintReport r = lint_files({f}, load_policy(std::string("default")), 1);
    CHECK(r.files[0].no_transaction);
    CHECK(of_rule(r, "concurrent-in-transaction").size() == 1);
}

TEST_CASE("model: the statements a plan shows are those of the pass that counts",
          "[model][transactions]") {
    TestProject p;
    p.write("1_late_cic.up.sql",
            "SET lock_timeout = '1s';\nSELECT 1;\nCREATE INDEX CONCURRENTLY b_idx ON b (x);\n");
    Plan plan = TestProject::plan(p.load());
    REQUIRE(plan.migrations.size() == 1);
    CHECK(plan.migrations[0].statements.size() == 3);  // not 2 + 3 from a first pass
    CHECK_FALSE(plan.migrations[0].transactional);
}

TEST_CASE("model: lint exempts only tables created earlier in the same file, plan the whole run",
          "[model][created]") {
    TestProject p;
    p.write("1_create.up.sql", "CREATE TABLE fresh (id int, email text, legacy text);\n");
    p.write("2_change.up.sql",
            "CREATE INDEX fresh_email_idx ON fresh (email);\n"
            "ALTER TABLE fresh DROP COLUMN legacy;\n"
            "ALTER TABLE fresh ALTER COLUMN id TYPE bigint;\n");
    Project project = p.load();
    std::vector<sm::planner::LintInput> files;
    for (const auto& m : project.migrations.migrations) {
        files.emplace_back(m.up.path);
    }
    // lint has no database: fresh may exist and be large by the time file 2 runs.
    LintReport lint = lint_files(files, load_policy(std::string("default")), 2);
    CHECK(of_rule(lint, "require-concurrent-index-creation").size() == 1);
    CHECK(of_rule(lint, "ban-drop-column").size() == 1);
    CHECK(of_rule(lint, "changing-column-type").size() == 1);
    // plan knows fresh is created by this run: it does not exist yet and is empty.
    Plan plan = TestProject::plan(project);
    CHECK(plan.lint.errors == 0);
    CHECK(plan.allowed());
    // In one file, lint exempts it too, for every category of finding.
    TempTree t;
    auto same = t.write("1_same.up.sql",
                        "CREATE TABLE t2 (a int, b text);\nCREATE INDEX t2_a ON t2 (a);\n"
                        "ALTER TABLE t2 DROP COLUMN b;\nTRUNCATE t2;\n");
    CHECK(lint_files({same}, load_policy(std::string("default")), 1).errors == 0);
}

TEST_CASE("model: every plan error on a file is also a lint finding on it", "[model][created]") {
    TestProject p;
    p.write("1_create.up.sql",
            "CREATE TABLE fresh (id int);\nALTER TABLE old ADD x int NOT NULL;\n");
    p.write("2_more.up.sql",
            "CREATE INDEX fresh_idx ON fresh (id);\nALTER TABLE old DROP COLUMN y;\n"
            "ALTER TABLE old ALTER COLUMN z SET NOT NULL;\n");
    Project project = p.load();
    Plan plan = TestProject::plan(project);
    REQUIRE(plan.lint.errors > 0);
    for (const auto& file : plan.lint.files) {
        LintReport lint = lint_files({file.file}, load_policy(std::string("default")), 1);
        for (const auto& f : file.findings) {
            if (f.severity != Severity::error) {
                continue;
            }
            INFO(f.file.string() << ":" << f.line << " " << f.rule);
            bool found = false;
            for (const auto& g : lint.files[0].findings) {
                found = found || (g.rule == f.rule && g.line == f.line);
            }
            CHECK(found);
        }
    }
}

TEST_CASE("model: on a small existing table lock findings are warnings, data loss stays an error",
          "[model][size]") {
    TestProject p;
    p.write("1_change.up.sql",
            "CREATE INDEX orders_email ON orders (email);\n"
            "ALTER TABLE orders DROP COLUMN legacy;\n"
            "CREATE INDEX big_email ON big (email);\n");
    Plan plan = TestProject::plan(p.load());
    REQUIRE(of_rule(plan.lint, "require-concurrent-index-creation").size() == 2);
    REQUIRE(plan.lint.errors == 3);
    const int warnings_before = plan.lint.warnings;

    attach_table_sizes(plan, {{"public.orders", {true, 10, 16384}},
                              {"public.big", {true, 5'000'000, 3'000'000'000}}});
    auto index = of_rule(plan.lint, "require-concurrent-index-creation");
    REQUIRE(index.size() == 2);
    CHECK(index[0]->severity == Severity::warning);
    CHECK_THAT(index[0]->message, Contains("small_table_bytes"));
    CHECK(index[1]->severity == Severity::error);  // 3 GB is not small
    CHECK(of_rule(plan.lint, "ban-drop-column")[0]->severity == Severity::error);
    CHECK(plan.lint.errors == 2);
    CHECK(plan.lint.warnings == warnings_before + 1);
    CHECK_FALSE(plan.allowed());

    // strict turns the discount off.
    Plan strict = TestProject::plan(p.load(), "strict");
    attach_table_sizes(strict, {{"public.orders", {true, 10, 16384}}});
    CHECK(of_rule(strict.lint, "require-concurrent-index-creation")[0]->severity ==
          Severity::error);
}

TEST_CASE("model: a down file that does not parse is a warning by default, an error under strict",
          "[model][down]") {
    TestProject p;
    p.write("1_add.up.sql", "ALTER TABLE orders ADD COLUMN note text;\n");
    p.write("1_add.down.sql", "ALTER TABLE orders DROP COLUMN note text text;\n");
    p.write("2_more.up.sql", "ALTER TABLE orders ADD COLUMN other text;\n");
    Project project = p.load();  // does not throw: the up files are fine
    CHECK(project.up.size() == 2);
    CHECK(project.down.count(1) == 0);
    REQUIRE(project.broken_down.count(1) == 1);

    Plan plan = TestProject::plan(project);
    auto broken = of_rule(plan.lint, "broken-down-migration");
    REQUIRE(broken.size() == 1);
    CHECK(broken[0]->severity == Severity::warning);
    CHECK_THAT(broken[0]->message, Contains("rollback of 1_add will fail"));
    CHECK(plan.allowed());

    Plan strict = TestProject::plan(project, "strict");
    CHECK(of_rule(strict.lint, "broken-down-migration")[0]->severity == Severity::error);
    CHECK_FALSE(strict.allowed());
}

TEST_CASE("model: an up file that does not parse still stops the load", "[model][down]") {
    TestProject p;
    p.write("1_add.up.sql", "ALTER TABLE orders ADD COLUMN note text text;\n");
    p.write("1_add.down.sql", "ALTER TABLE orders DROP COLUMN note;\n");
    CHECK_THROWS_AS(p.load(), sm::Error);
}

TEST_CASE("model: one object created twice across files is named, with the first place",
          "[model][created]") {
    TempTree t;
    auto a = t.write("1_a.up.sql",
                     "CREATE TABLE orders (id int);\nCREATE INDEX orders_id ON orders (id);\n");
    auto b = t.write("2_b.up.sql", "CREATE TABLE IF NOT EXISTS orders (id bigint, note text);\n");
    auto c = t.write("3_c.up.sql", "DROP TABLE orders;\nCREATE TABLE orders (id bigint);\n");
    auto d = t.write("4_d.up.sql", "CREATE INDEX orders_id ON orders (id);\n");
    LintReport r = lint_files({a, b, c, d}, load_policy(std::string("default")), 2);
    auto twice = of_rule(r, "object-created-twice");
    // 3 drops the table (and its index) before creating it again; 4's index is new.
    REQUIRE(twice.size() == 1);
    CHECK(twice[0]->file == b);
    CHECK_THAT(twice[0]->message, Contains("1_a.up.sql:1"));
    CHECK_THAT(twice[0]->message, Contains("IF NOT EXISTS skips this definition"));
}

TEST_CASE("model: SET NOT NULL after a CHECK validated by an earlier migration of the run is quiet",
          "[model][created]") {
    TestProject p;
    p.write("1_check.up.sql",
            "ALTER TABLE orders ADD CONSTRAINT orders_email_nn CHECK (email IS NOT NULL) NOT "
            "VALID;\n");
    p.write("2_validate.up.sql", "ALTER TABLE orders VALIDATE CONSTRAINT orders_email_nn;\n");
    p.write("3_not_null.up.sql", "ALTER TABLE orders ALTER COLUMN email SET NOT NULL;\n");
    Project project = p.load();
    Plan plan = TestProject::plan(project);
    CHECK(of_rule(plan.lint, "set-not-null").empty());
    CHECK(plan.lint.errors == 0);
    // lint, with no run, cannot know the check exists by then.
    LintReport lint = lint_files({project.migrations.migrations[2].up.path},
                                 load_policy(std::string("default")), 1);
    CHECK(of_rule(lint, "set-not-null").size() == 1);
}

}  // namespace planner_safety_model_test
