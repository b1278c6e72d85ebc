// Command-line mistakes: plain messages naming the flag or command and the
// allowed values, a "did you mean" where a name is close, exit 2; and each
// hinted help command works. No database is needed.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace cli_usage_test {

using namespace sm::test;

namespace {

struct Mistake {
    std::vector<std::string> args;
    std::string message;
    std::string hint;  // "" when none is printed
};

}  // namespace

TEST_CASE("command-line mistakes get plain messages, a did-you-mean, and exit 2") {
    const std::string help_status = "Run 'safe-migrate status --help' for its options.";
    const std::vector<Mistake> mistakes = {
        {{"status", "--format", "yaml"}, "--format: 'yaml' is not one of text, json", ""},
        {{"status", "--format", "1"}, "--format: '1' is not one of text, json", ""},
        {{"status", "--format", "jsn"},
         "--format: 'jsn' is not one of text, json",
         "Did you mean 'json'?"},
        {{"lint", "--format", "sarf"},
         "--format: 'sarf' is not one of text, json, sarif, github, gitlab",
         "Did you mean 'sarif'?"},
        {{"--env", "X", "seed", "run", "--env", "X"},
         "--env is given more than once",
         "Give it once."},
        {{"--databse-url", "X", "status"},
         "unknown option '--databse-url'",
         "Did you mean '--database-url'?"},
        {{"status", "--databse-url", "X"},
         "unknown option '--databse-url'",
         "Did you mean '--database-url'?"},
        {{"status", "--colourful"}, "unknown option '--colourful'", help_status},
        {{"backup", "creat"},
         "backup action: 'creat' is not one of create, list, verify, prune, pin, unpin",
         "Did you mean 'create'?"},
        {{"stauts"}, "unknown command 'stauts'", "Did you mean 'status'?"},
        {{"frobnicate"},
         "unknown command 'frobnicate'",
         "Run 'safe-migrate --help' for the list of commands."},
        {{}, "no command given", "Run 'safe-migrate --help' for the list of commands."},
        {{"sandbox"},
         "sandbox: action is required",
         "Run 'safe-migrate sandbox --help' for its options."},
        {{"rollback", "--steps", "abc"},
         "--steps: 'abc' is not a whole number",
         "Run 'safe-migrate rollback --help' for its options."},
        {{"status", "extra"}, "unexpected argument 'extra'", help_status},
        {{"execute", "--on-failure", "rollbak"},
         "--on-failure: 'rollbak' is not one of rollback, restore, stop",
         "Did you mean 'rollback'?"},
    };
    for (const auto& mistake : mistakes) {
        ToolRun run = run_tool(mistake.args);
        std::string expected = "safe-migrate: error: " + mistake.message + "\n";
        if (!mistake.hint.empty()) {
            expected += "hint: " + mistake.hint + "\n";
        }
        INFO(run.all());
        CHECK(run.exit_code == 2);
        CHECK(run.err == expected);
        CHECK(run.out.empty());

        // The help a hint names is a command that works.
        std::vector<std::string> help = hinted_args(mistake.hint);
        if (!help.empty()) {
            ToolRun helped = run_tool(help);
            INFO(helped.all());
            CHECK(helped.exit_code == 0);
            CHECK(helped.out.find("Usage:") != std::string::npos);
        }
    }
}

TEST_CASE("a usage error with --format json is the error document on stdout") {
    ToolRun run = run_tool({"status", "--format", "json", "--databse-url", "X"});
    CHECK(run.exit_code == 2);
    CHECK(run.out.find("\"code\": \"usage\"") != std::string::npos);
    CHECK(run.out.find("unknown option '--databse-url'") != std::string::npos);
}

TEST_CASE("the short flag -V prints the version, as --version does") {
    ToolRun short_flag = run_tool({"-V"});
    ToolRun long_flag = run_tool({"--version"});
    CHECK(short_flag.exit_code == 0);
    CHECK(long_flag.exit_code == 0);
    CHECK_FALSE(long_flag.out.empty());
    CHECK(short_flag.out == long_flag.out);
}

}  // namespace cli_usage_test
