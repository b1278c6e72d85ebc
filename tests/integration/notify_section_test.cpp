// The notify section is read when a command first uses it: an unset ${VAR}
// that only notifications use does not stop commands that send none, and a
// bad endpoint stops execute before it changes anything (exit 3).

#include <catch2/catch.hpp>
#include <fstream>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace notify_section_test {

using sm::test::MigrationDir;
using sm::test::run_tool;
using sm::test::TestDatabase;

namespace {

std::vector<std::string> with_config(const MigrationDir& dir, const std::string& config,
                                     std::vector<std::string> args) {
    std::filesystem::path file = dir.path() / "safe-migrate.toml";
    std::ofstream(file) << config;
    std::vector<std::string> out = {"--config", file.string(), "--migrations-dir",
                                    dir.path().string()};
    out.insert(out.end(), args.begin(), args.end());
    return out;
}

}  // namespace

TEST_CASE("an unset variable used only by [notify] stops only what notifies") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\n");
    const std::string config =
        "[[notify.webhooks]]\nkind = \"slack\"\nurl = \"${SM_TEST_UNSET_HOOK}\"\n";
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

    auto status = run_tool(with_config(dir, config, {"status"}), env);
    INFO(status.all());
    CHECK(status.exit_code == 10);  // pending, not a config error

    auto execute = run_tool(with_config(dir, config, {"execute"}), env);
    INFO(execute.all());
    CHECK(execute.exit_code == 3);
    CHECK(execute.err.find("SM_TEST_UNSET_HOOK") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'safe_migrate'") == "0");
}

TEST_CASE("a malformed signing secret stops execute and its dry run before anything") {
    TestDatabase db;
    MigrationDir dir;
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\n");
    const std::string config =
        "[[notify.webhooks]]\nname = \"audit\"\nkind = \"generic\"\n"
        "url = \"http://127.0.0.1:9/hook\"\nsecret = \"whsec_%%%not-base64\"\n";
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

    for (const auto& args :
         {std::vector<std::string>{"execute"}, std::vector<std::string>{"execute", "--dry-run"}}) {
        auto run = run_tool(with_config(dir, config, args), env);
        INFO(run.all());
        CHECK(run.exit_code == 3);
        CHECK(run.err.find("notification endpoint 'audit'") != std::string::npos);
        CHECK(run.err.find("not valid base64") != std::string::npos);
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'safe_migrate'") == "0");
}

}  // namespace notify_section_test
