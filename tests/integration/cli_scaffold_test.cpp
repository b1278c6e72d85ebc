// The binary as a user meets it first: --version, init, new, and every
// command's --help examples, run in a project init started.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "docs/tool_doc.hpp"
#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace cli_scaffold_test {

using namespace sm::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// An example's words after "safe-migrate".
std::vector<std::string> words_of(const std::string& example) {
    std::vector<std::string> words;
    for (const auto& w : sm::util::split(example, ' ')) {
        if (!w.empty()) {
            words.emplace_back(w);
        }
    }
    words.erase(words.begin());
    return words;
}

}  // namespace

TEST_CASE("version: --version names the commit, libpq, the parser's grammar and the servers") {
    auto r = run_tool({"--version"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Matchers::StartsWith("safe-migrate 0."));
    CHECK_THAT(r.out, Contains("\ncommit: "));
    CHECK_THAT(r.out, Contains("\nlibpq: 1"));
    CHECK_THAT(r.out, Contains("\nparser: PostgreSQL 15."));
    CHECK_THAT(r.out, Contains("\nservers: PostgreSQL 13 and later"));
    std::string commit = r.out.substr(r.out.find("commit: ") + 8);
    commit = commit.substr(0, commit.find('\n'));
    CHECK(
        (commit == "unknown" || commit.find_first_not_of("0123456789abcdef") == std::string::npos));
}

TEST_CASE("init starts a project that lints and plans, and a second init writes nothing") {
    sm::util::TempDir d("sm-init-test");
    auto r = run_tool_in(d.path(), {"init"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "safe-migrate.toml\nsafe-migrate-policy.toml\nmigrations\n");
    auto again = run_tool_in(d.path(), {"init"});
    CHECK(again.exit_code == 3);
    CHECK_THAT(again.err, Contains("safe-migrate: error: "));
    CHECK_THAT(again.err, Contains("safe-migrate.toml already exists; init writes nothing"));

    auto made = run_tool_in(d.path(), {"new", "create_orders", "--format", "json"});
    INFO(made.all());
    REQUIRE(made.exit_code == 0);
    auto created = nlohmann::json::parse(made.out)["created"];
    REQUIRE(created.size() == 2);
    std::string up = created[0];
    CHECK_THAT(up, Catch::Matchers::Matches("migrations/[0-9]{14}_create_orders\\.up\\.sql"));
    sm::util::write_file_atomic(
        d.path() / up, sm::util::read_file(d.path() / up) + "CREATE TABLE orders (id bigint);\n");
    auto lint = run_tool_in(d.path(), {"lint"});
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
    CHECK_THAT(lint.out, Contains("(policy safe-migrate-policy)"));

    TestDatabase db;
    auto plan = run_tool_in(d.path(), {"plan"}, {{"DATABASE_URL", db.url()}});
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
}

TEST_CASE("new --no-transaction, and new refusing a bad name") {
    sm::util::TempDir d("sm-new-test");
    auto r = run_tool_in(d.path(), {"new", "index_orders", "--no-transaction"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    auto lines = sm::util::split(r.out, '\n');
    REQUIRE(lines.size() >= 2);
    std::string up = sm::util::read_file(d.path() / std::string(lines[0]));
    CHECK_THAT(up, Contains("\n-- safe-migrate: no-transaction\n"));
    CHECK_THAT(std::string(lines[1]), Catch::Matchers::EndsWith("_index_orders.down.sql"));

    auto bad = run_tool_in(d.path(), {"new", "drop;table"});
    CHECK(bad.exit_code == 3);
    CHECK_THAT(bad.err, Contains("migration name 'drop;table' must be letters"));
}

TEST_CASE("every command's --help ends with its examples, and every example runs") {
    TestDatabase db;
    sm::util::TempDir root("sm-examples-test");
    fs::path project = root.path() / "project";
    fs::create_directories(project);
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    REQUIRE(run_tool_in(project, {"init"}).exit_code == 0);
    fs::copy(SM_EXAMPLE_MIGRATIONS, project / "migrations", fs::copy_options::recursive);
    HttpReceiver receiver;  // notify's examples need an endpoint
    std::ofstream(project / "safe-migrate.toml", std::ios::app)
        << "\n"
        << webhook("team", "generic", receiver.url("/hook"));

    // In the order a project lives; init runs in fresh directories, new last.
    std::vector<std::string> order = {"status",  "lint",    "plan",     "execute", "backfill",
                                      "rewrite", "seed",    "validate", "check",   "schema",
                                      "backup",  "restore", "rollback", "reset",   "notify",
                                      "sandbox", "new",     "init",     "adopt"};
    // adopt's examples take over a dbmate project, on a database dbmate ran.
    TestDatabase dbmate_db;
    fs::path dbmate_project = root.path() / "dbmate-project";
    fs::create_directories(dbmate_project / "migrations");
    for (const auto& f : fs::directory_iterator(fs::path(SM_FIXTURES) / "layouts" / "dbmate")) {
        if (f.path().extension() == ".sql") {
            fs::copy(f.path(), dbmate_project / "migrations");
        }
    }
    dbmate_db.query(
        "CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY);"
        "INSERT INTO public.schema_migrations VALUES ('20240101090000')");
    int fresh = 0;
    std::string failures;  // one line per example that did not run
    for (const auto& name : order) {
        auto help = run_tool_in(project, {name, "--help"});
        INFO(name << " --help:\n" << help.all());
        REQUIRE(help.exit_code == 0);
        CHECK_THAT(help.out, Catch::Matchers::EndsWith(sm::docs::examples_text(name) + "\n"));
        for (const auto& example : sm::docs::examples_of(name)) {
            fs::path dir = project;
            if (name == "init") {
                dir = root.path() / ("fresh" + std::to_string(++fresh));
                fs::create_directories(dir);
            }
            auto r = name == "adopt" ? run_tool_in(dbmate_project, words_of(example),
                                                   {{"DATABASE_URL", dbmate_db.url()}})
                                     : run_tool_in(dir, words_of(example), env);
            db.query("DROP DATABASE IF EXISTS app_restored WITH (FORCE)");  // restore's --into
            // 10: status reports the pending migrations, which is what its examples show.
            if (r.exit_code != 0 && !(name == "status" && r.exit_code == 10)) {
                std::string err = r.err.substr(r.err.size() > 400 ? r.err.size() - 400 : 0);
                failures += example;
                failures += ": exit " + std::to_string(r.exit_code) + ": " + err + "\n";
            }
        }
    }
    INFO(failures);
    CHECK(failures.empty());
}

}  // namespace cli_scaffold_test
