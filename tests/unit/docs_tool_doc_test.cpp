// The command line as data, and what is generated from it: examples, the man
// page and the completions (bash runs its script here).
#include <catch2/catch.hpp>

#include "cli/app.hpp"
#include "docs/tool_doc.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace docs_tool_doc_test {

using Catch::Matchers::Contains;
using sm::docs::ToolDoc;

namespace {

const ToolDoc& tool() {
    static const ToolDoc doc = sm::cli::describe_tool();
    return doc;
}

const sm::docs::CommandDoc& command(const std::string& name) {
    for (const auto& c : tool().commands) {
        if (c.name == name) {
            return c;
        }
    }
    FAIL("no command " << name);
    return tool().commands.front();
}

// What bash completes for the words of a command line (the last one being typed).
std::string complete(const std::string& line) {
    sm::util::TempDir d("sm-unit-completion");
    sm::util::write_file_atomic(d.path() / "completion.bash", sm::docs::bash_completion(tool()));
    std::string script =
        "source \"$1\"\n"
        "read -ra COMP_WORDS <<< \"$2\"\n"
        "[[ \"$2\" == *' ' ]] && COMP_WORDS+=('')\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_safe_migrate\n"
        "echo \"${COMPREPLY[*]}\"\n";
    sm::util::ProcessSpec spec;
    spec.program = "bash";
    spec.args = {"-c", script, "bash", (d.path() / "completion.bash").string(), line};
    auto r = sm::util::run_process(spec);
    INFO(r.err);
    REQUIRE(r.ok());
    return r.out.substr(0, r.out.find('\n'));
}

}  // namespace

TEST_CASE("every command has two or three examples of itself", "[docs]") {
    REQUIRE(tool().commands.size() >= 15);
    for (const auto& c : tool().commands) {
        INFO(c.name);
        CHECK(c.examples.size() >= 2);
        CHECK(c.examples.size() <= 3);
        for (const auto& e : c.examples) {
            CHECK_THAT(e, Catch::Matchers::StartsWith("safe-migrate "));
            CHECK_THAT(e + " ", Contains(" " + c.name + " "));
        }
    }
    CHECK_THAT(sm::docs::examples_text("new"),
               Contains("Examples:\n  safe-migrate new add_orders_status\n"));
}

TEST_CASE("the description reads the declared options and their fixed values", "[docs]") {
    const auto& lint = command("lint");
    bool format_found = false;
    for (const auto& o : lint.options) {
        if (o.names == std::vector<std::string>{"--format"}) {
            format_found = true;
            CHECK(o.choices ==
                  std::vector<std::string>{"text", "json", "sarif", "github", "gitlab"});
        }
    }
    CHECK(format_found);
    const auto& backup = command("backup");
    REQUIRE(backup.options.front().positional);
    CHECK(backup.options.front().choices.size() == 6);
    CHECK(tool().version.empty() == false);
}

TEST_CASE("the bash completion completes commands, actions, flags and their values", "[docs]") {
    CHECK(complete("safe-migrate li") == "lint");
    CHECK(complete("safe-migrate backup c") == "create");
    CHECK(complete("safe-migrate --env prod ba") == "backup backfill");
    CHECK(complete("safe-migrate --env prod backu") == "backup");
    CHECK(complete("safe-migrate lint --format gi") == "github gitlab");
    CHECK_THAT(complete("safe-migrate new --"), Contains("--no-transaction"));
}

TEST_CASE("the man page has every command, its options and its examples", "[docs]") {
    std::string man = sm::docs::man_page(tool());
    CHECK_THAT(man, Catch::Matchers::StartsWith(".TH safe\\-migrate 1"));
    for (const auto& c : tool().commands) {
        CHECK_THAT(man, Contains(".SS \"" + c.name + "\""));
    }
    CHECK_THAT(man, Contains("\\fB\\-\\-no\\-transaction\\fR"));
    CHECK_THAT(man, Contains("safe\\-migrate lint \\-\\-list\\-rules"));
    CHECK_THAT(man, Contains(".SH EXIT STATUS"));
}

TEST_CASE("zsh and fish completions name every command", "[docs]") {
    std::string zsh = sm::docs::zsh_completion(tool());
    std::string fish = sm::docs::fish_completion(tool());
    CHECK_THAT(zsh, Catch::Matchers::StartsWith("#compdef safe-migrate\n"));
    for (const auto& c : tool().commands) {
        CHECK_THAT(zsh, Contains("'" + c.name + ":"));
        CHECK_THAT(fish, Contains("-a " + c.name + " -d"));
    }
    CHECK_THAT(fish, Contains("__fish_seen_subcommand_from lint' -l format -x -a 'text json"));
}

}  // namespace docs_tool_doc_test
