// lint --format gitlab: the Code Quality report GitLab reads.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "planner/lint_output.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_gitlab_output_test {

using namespace sm::planner;
namespace fs = std::filesystem;

namespace {

fs::path write(const fs::path& dir, const std::string& name, const std::string& sql) {
    std::ofstream(dir / name) << sql;
    return dir / name;
}

nlohmann::json gitlab_report(const std::vector<fs::path>& files) {
    Policy policy = load_policy(std::string("default"));
    std::vector<LintInput> inputs(files.begin(), files.end());
    return nlohmann::json::parse(
        render_lint(lint_files(inputs, policy, 1), LintFormat::gitlab, policy));
}

}  // namespace

TEST_CASE("gitlab: one CodeClimate issue per finding, with the fields GitLab reads",
          "[linter][output]") {
    sm::util::TempDir d("sm-unit-gitlab");
    auto f = write(d.path(), "1_x.up.sql",
                   "SET lock_timeout = '1s';\nSELECT 1;\nDROP TABLE \"a\"\"b\";\n");
    auto report = gitlab_report({f});
    REQUIRE(report.is_array());
    REQUIRE(report.size() == 1);
    const auto& issue = report[0];
    CHECK(issue["check_name"] == "ban-drop-table");
    CHECK(issue["severity"] == "critical");
    CHECK(issue["location"]["path"].get<std::string>().find("1_x.up.sql") != std::string::npos);
    CHECK(issue["location"]["lines"]["begin"] == 3);
    CHECK_THAT(issue["description"].get<std::string>(),
               Catch::Matchers::StartsWith("DROP TABLE public.a\"b destroys its data"));
    CHECK_THAT(issue["description"].get<std::string>(),
               Catch::Matchers::Contains(". Safe alternative: "));
    CHECK(issue["fingerprint"].get<std::string>().size() == 32);
}

TEST_CASE("gitlab: the fingerprint follows the statement, not its line, and none is empty",
          "[linter][output]") {
    sm::util::TempDir d("sm-unit-gitlab");
    auto a = write(d.path(), "1_x.up.sql", "SET lock_timeout = '1s';\nDROP TABLE a;\n");
    auto before = gitlab_report({a});
    write(d.path(), "1_x.up.sql", "SET lock_timeout = '1s';\n\n\nDROP TABLE a;\nDROP TABLE b;\n");
    auto after = gitlab_report({a});
    REQUIRE(before.size() == 1);
    REQUIRE(after.size() == 4);  // two drops; the second also draws two lock warnings
    CHECK(after[0]["fingerprint"] == before[0]["fingerprint"]);
    CHECK(after[0]["location"]["lines"]["begin"] == 4);
    CHECK(after[1]["fingerprint"] != before[0]["fingerprint"]);

    auto clean = write(d.path(), "2_y.up.sql", "SET lock_timeout = '1s';\nSELECT 1;\n");
    CHECK(gitlab_report({clean}) == nlohmann::json::array());
}

TEST_CASE("gitlab: a suppressed finding is left out, a warning is minor", "[linter][output]") {
    sm::util::TempDir d("sm-unit-gitlab");
    auto f = write(d.path(), "1_x.up.sql",
                   "SET lock_timeout = '1s';\n"
                   "-- safe-migrate: allow ban-drop-table reason=\"unused since v2\"\n"
                   "DROP TABLE a;\n");
    CHECK(gitlab_report({f}) == nlohmann::json::array());

    Policy policy = load_policy(std::string("default"));
    policy.severity["ban-drop-table"] = Severity::warning;
    auto g = write(d.path(), "2_y.up.sql", "SET lock_timeout = '1s';\nDROP TABLE a;\n");
    auto report =
        nlohmann::json::parse(render_lint(lint_files({g}, policy, 1), LintFormat::gitlab, policy));
    REQUIRE(report.size() == 1);
    CHECK(report[0]["severity"] == "minor");
}

}  // namespace planner_gitlab_output_test
