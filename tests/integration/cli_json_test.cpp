// --format json on every command: one JSON document on stdout with a top-level
// "result" ("ok"; the exit code's name with "exit_code" when a command reports
// a non-zero state such as pending; or "error" with the error envelope). The
// list of runs comes from the command table, so a new command cannot escape it.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace cli_json_test {

using namespace sm::test;
using nlohmann::json;

namespace {

using Runs = std::vector<std::vector<std::string>>;

// Checks the shape of stdout for one run; returns the document.
json check_document(const std::vector<std::string>& args, const ToolRun& run) {
    std::string shown;
    for (const auto& a : args) {
        shown += a + " ";
    }
    INFO(shown << "\n" << run.all());
    json doc;
    REQUIRE_NOTHROW(doc = json::parse(run.out));  // one document, nothing else
    REQUIRE(doc.is_object());
    REQUIRE(doc.contains("result"));
    std::string result = doc["result"];
    if (result == "error") {
        CHECK(doc["error"]["exit_code"] == run.exit_code);
        CHECK(doc["error"]["code"] == sm::exit_code_name(static_cast<sm::ExitCode>(run.exit_code)));
        CHECK(doc["error"]["message"].is_string());
    } else if (run.exit_code == 0) {
        CHECK(result == "ok");
    } else {
        CHECK(result == sm::exit_code_name(static_cast<sm::ExitCode>(run.exit_code)));
        CHECK(doc["exit_code"] == run.exit_code);
    }
    return doc;
}

}  // namespace

TEST_CASE("every command prints one JSON document with a result under --format json") {
    TestDatabase db;
    Project project;
    sm::util::TempDir sandbox_dir("sm-json-sandbox");
    std::string state = (sandbox_dir.path() / "sandbox.json").string();
    std::string snapshot = (project.dir() / "schema.json").string();
    project.write_config(
        project.backup_section() + project.notify_section() +
        webhook("ops", "generic", "http://127.0.0.1:9/hook", "events = [\"deploy.failed\"]\n") +
        "[environments.dev]\n");
    project.migration("1_users.up.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
    project.migration("1_users.down.sql", "DROP TABLE users;\n");
    std::filesystem::create_directories(project.migrations() / "seeds" / "dev");
    std::ofstream(project.migrations() / "seeds" / "dev" / "010_users.sql")
        << "INSERT INTO users VALUES (1);\n";

    // In the order they run: each command's runs, with "--format json" added.
    const std::map<std::string, Runs> runs_of = {
        {"status", {{"status"}}},
        {"lint", {{"lint"}, {"lint", "--list-rules"}}},
        {"plan", {{"plan"}}},
        {"execute", {{"execute", "--dry-run"}, {"execute"}}},
        {"backfill", {{"backfill", "status"}, {"backfill", "pause"}}},
        {"rollback", {{"rollback"}}},
        {"backup",
         {{"backup", "create"},
          {"backup", "list"},
          {"backup", "verify", "--latest"},
          {"backup", "prune", "--dry-run"}}},
        {"restore", {{"restore", "--latest", "--into", db.name() + "_json"}}},
        {"notify", {{"notify", "flush"}}},
        {"seed", {{"--env", "dev", "seed", "status"}, {"--env", "dev", "seed", "run"}}},
        {"reset", {{"--env", "dev", "reset", "--confirm"}}},
        {"sandbox",
         {{"sandbox", "status", "--state", state},
          {"sandbox", "start", "--state", state},
          {"sandbox", "url", "--state", state},
          {"sandbox", "stop", "--state", state}}},
        {"validate", {{"validate"}}},
        {"check", {{"check"}}},
        {"schema", {{"schema", "dump", "--out", snapshot}}},
        {"adopt", {{"adopt", "--from", "dbmate", "--dry-run"}}},  // not dbmate's: the error
        {"init", {{"init"}}},                                     // in an empty directory
        {"new", {{"new", "add_email"}}},
        {"rewrite",
         {{"rewrite", (project.migrations() / "1_users.up.sql").string()},
          {"rewrite", (project.migrations() / "1_users.up.sql").string(), "--write"}}},
    };
    for (const auto& name : sm::cli::command_names()) {
        INFO("command " << name << " needs its --format json runs in this test");
        REQUIRE(runs_of.count(name) == 1);
    }
    // An order in which each run has what it needs (a backup to restore, a table to seed).
    std::vector<std::string> order = {"status", "lint",    "plan",     "execute", "backfill",
                                      "backup", "restore", "notify",   "seed",    "rollback",
                                      "reset",  "sandbox", "validate", "check",   "schema",
                                      "adopt",  "init",    "new",      "rewrite"};
    sm::util::TempDir empty("sm-json-init");
    REQUIRE(order.size() == runs_of.size());
    for (const auto& name : order) {
        for (auto args : runs_of.at(name)) {
            args.insert(args.end(), {"--format", "json"});
            ToolRun run =
                name == "init" ? run_tool_in(empty.path(), args) : run_tool(project.args(db, args));
            json doc = check_document(args, run);
            if (name == "execute" || name == "rollback" || name == "backup") {
                CHECK(doc["result"] == "ok");  // these runs succeed on this project
            }
        }
    }
    // A command that fails prints the error document, still one document.
    ToolRun failed =
        run_tool(project.args(db, {"backup", "verify", "no-such-id", "--format", "json"}));
    CHECK(check_document({"backup verify no-such-id"}, failed)["result"] == "error");
}

}  // namespace cli_json_test
