// Colour and redraws on a terminal, under a real pseudo-terminal (util-linux
// script): red errors, yellow warnings, bold table headings; none under
// NO_COLOR, none through a pipe; TERM=dumb gets neither colour nor redraws.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace cli_terminal_test {

using namespace sm::test;

namespace {

constexpr const char* k_red_error = "\033[31merror:\033[0m";
constexpr const char* k_yellow_warning = "\033[33mwarning\033[0m";
constexpr const char* k_bold_heading = "\033[1mVERSION";
constexpr const char* k_redraw = "\r\033[K";

std::string quoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// safe-migrate with args on a pseudo-terminal; stdout and stderr both arrive in out.
ToolRun run_on_terminal(const std::vector<std::string>& args,
                        std::map<std::string, std::string> env) {
    std::string command = quoted(SM_BINARY);
    for (const auto& a : args) {
        command += " " + quoted(a);
    }
    sm::util::ProcessSpec spec;
    spec.program = "script";
    spec.args = {"-qec", command, "/dev/null"};
    spec.env_unset = {"DATABASE_URL", "PGHOST",     "PGPORT",  "PGUSER",
                      "PGDATABASE",   "PGPASSWORD", "NO_COLOR"};
    env.emplace("TERM", "xterm");
    spec.env_set = env;
    return to_run(sm::util::run_process(spec));
}

}  // namespace

TEST_CASE("a terminal shows errors red, warnings yellow and table headings bold") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");

    ToolRun status = run_on_terminal(project.args(db, {"status"}), {});
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find(k_bold_heading) != std::string::npos);

    // Two sources for the target: a warning; the target refuses connections: an error.
    ToolRun refused =
        run_on_terminal(project.args({"--database-url", "postgresql://127.0.0.1:1/b", "status"}),
                        {{"DATABASE_URL", "postgresql://127.0.0.1:1/a"}});
    INFO(refused.all());
    CHECK(refused.exit_code == 5);
    CHECK(refused.out.find(std::string("safe-migrate: ") + k_yellow_warning +
                           ": using --database-url") != std::string::npos);
    CHECK(refused.out.find(std::string("safe-migrate: ") + k_red_error + " ") != std::string::npos);
}

TEST_CASE("NO_COLOR, TERM=dumb and a pipe get plain text") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");
    std::vector<std::string> args =
        project.args({"--database-url", "postgresql://127.0.0.1:1/b", "status"});

    ToolRun no_colour = run_on_terminal(args, {{"NO_COLOR", "1"}});
    ToolRun dumb = run_on_terminal(args, {{"TERM", "dumb"}});
    ToolRun piped = run_tool(args);
    for (const ToolRun* run : {&no_colour, &dumb, &piped}) {
        INFO(run->all());
        CHECK(run->exit_code == 5);
        CHECK(run->all().find("safe-migrate: error: ") != std::string::npos);
        CHECK(run->all().find('\033') == std::string::npos);
    }
    ToolRun table = run_on_terminal(project.args(db, {"status"}), {{"NO_COLOR", "1"}});
    CHECK(table.out.find("VERSION") != std::string::npos);
    CHECK(table.out.find('\033') == std::string::npos);
}

TEST_CASE("progress is redrawn on a terminal, and not when TERM=dumb") {
    TestDatabase db;
    Project project;
    project.write_config(project.backup_section());
    project.migration("1_users.up.sql", "CREATE TABLE users (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);

    ToolRun redrawn = run_on_terminal(project.args(db, {"backup", "create"}), {});
    INFO(redrawn.all());
    CHECK(redrawn.exit_code == 0);
    CHECK(redrawn.out.find(k_redraw) != std::string::npos);

    ToolRun dumb = run_on_terminal(project.args(db, {"backup", "create"}), {{"TERM", "dumb"}});
    INFO(dumb.all());
    CHECK(dumb.exit_code == 0);
    CHECK(dumb.out.find(k_redraw) == std::string::npos);
    CHECK(dumb.out.find("dumping: started") != std::string::npos);  // the line-by-line form
}

}  // namespace cli_terminal_test
