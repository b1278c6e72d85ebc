// packaging/ci/steps.sh, which the GitHub Actions and GitLab CI examples call:
// every step against a real database, and every step the examples name exists.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace ci_steps_test {

using namespace sm::test;
namespace fs = std::filesystem;

namespace {

fs::path ci_dir() {
    return fs::path(SM_EXAMPLE_MIGRATIONS).parent_path() / "packaging" / "ci";
}

ToolRun step(const fs::path& project, const std::string& name,
             const std::map<std::string, std::string>& env) {
    sm::util::ProcessSpec spec;
    spec.program = "sh";
    spec.args = {(ci_dir() / "steps.sh").string(), name};
    spec.cwd = project;
    spec.env_unset = {"DATABASE_URL", "PGHOST", "PGPORT",      "PGUSER", "PGDATABASE",
                      "PGPASSWORD",   "SM_ENV", "SM_BASE_REF", "SM_OUT"};
    spec.env_set = env;
    spec.env_set["SAFE_MIGRATE"] = SM_BINARY;
    return to_run(sm::util::run_process(spec));
}

// The steps a CI example calls ("steps.sh plan").
std::set<std::string> steps_named_in(const fs::path& file) {
    std::string text = sm::util::read_file(file);
    std::set<std::string> steps;
    std::regex call(R"(packaging/ci/steps\.sh ([a-z-]+))");
    for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) {
        steps.insert((*it)[1].str());
    }
    return steps;
}

}  // namespace

TEST_CASE("ci steps: lint, plan and execute of the example project, as the CI examples run them") {
    TestDatabase db;
    sm::util::TempDir d("sm-ci-steps");
    fs::copy(SM_EXAMPLE_MIGRATIONS, d.path() / "migrations", fs::copy_options::recursive);
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}, {"SM_OUT", "out"}};
    std::set<std::string> ran;

    auto sarif = step(d.path(), "lint-sarif", env);
    INFO(sarif.all());
    REQUIRE(sarif.exit_code == 0);
    ran.insert("lint-sarif");
    auto log = nlohmann::json::parse(sm::util::read_file(d.path() / "out" / "lint.sarif"));
    CHECK(log["version"] == "2.1.0");

    auto gitlab = step(d.path(), "lint-gitlab", env);
    INFO(gitlab.all());
    REQUIRE(gitlab.exit_code == 0);
    ran.insert("lint-gitlab");
    auto report = nlohmann::json::parse(
        sm::util::read_file(d.path() / "out" / "gl-code-quality-report.json"));
    CHECK(report.is_array());

    auto plan = step(d.path(), "plan", env);
    INFO(plan.all());
    REQUIRE(plan.exit_code == 0);
    ran.insert("plan");
    CHECK(fs::exists(d.path() / "out" / "plan.json"));

    auto execute = step(d.path(), "execute", env);
    INFO(execute.all());
    REQUIRE(execute.exit_code == 0);
    ran.insert("execute");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "12");

    // A lint failure still writes the report, and the step fails with lint's code.
    sm::util::write_file_atomic(d.path() / "migrations" / "20270101000000_drop.up.sql",
                                "DROP TABLE orders;\n");
    auto failing = step(d.path(), "lint-gitlab", env);
    CHECK(failing.exit_code == 4);
    auto issues = nlohmann::json::parse(
        sm::util::read_file(d.path() / "out" / "gl-code-quality-report.json"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0]["check_name"] == "ban-drop-table");

    CHECK(step(d.path(), "deploy", env).exit_code == 2);

    // Every step the examples call is one this test ran.
    for (const auto* example : {"github-actions.yml", "gitlab-ci.yml"}) {
        auto named = steps_named_in(ci_dir() / example);
        INFO(example);
        CHECK_FALSE(named.empty());
        for (const auto& s : named) {
            INFO(s);
            CHECK(ran.count(s) == 1);
        }
    }
}

}  // namespace ci_steps_test
