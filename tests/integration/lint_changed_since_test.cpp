// lint --changed-since REF in real git repositories (a branch with changed, added
// and deleted migrations, uncommitted edits, shallow clones of a local origin),
// and lint's refusal of empty and missing inputs. No database is used.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace lint_changed_since_test {

using namespace sm::test;
namespace fs = std::filesystem;

namespace {

// git with a fixed identity and no user or system configuration.
std::string git(const fs::path& cwd, std::vector<std::string> args) {
    sm::util::ProcessSpec spec;
    spec.program = "git";
    spec.args = std::move(args);
    spec.cwd = cwd;
    spec.env_set = {{"GIT_AUTHOR_NAME", "t"},           {"GIT_AUTHOR_EMAIL", "t@example.com"},
                    {"GIT_COMMITTER_NAME", "t"},        {"GIT_COMMITTER_EMAIL", "t@example.com"},
                    {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
    auto result = sm::util::run_process(spec);
    INFO("git " << sm::util::join(spec.args, " ") << ": " << result.err);
    REQUIRE(result.ok());
    return result.out;
}

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

// safe-migrate run from cwd, as a CI job runs it.
ToolRun lint_in(const fs::path& cwd, std::vector<std::string> args) {
    args.insert(args.begin(), "lint");
    return run_tool_in(cwd, args);
}

// The files a JSON report says were linted.
std::vector<std::string> linted(const ToolRun& run) {
    INFO(run.all());
    auto doc = nlohmann::json::parse(run.out);
    return doc["file_paths"].get<std::vector<std::string>>();
}

// The command between the backticks of a hint, as an argv.
std::vector<std::string> hint_command(const std::string& err) {
    size_t open = err.find('`');
    size_t close = err.find('`', open + 1);
    REQUIRE(close != std::string::npos);
    return sm::util::split(err.substr(open + 1, close - open - 1), ' ');
}

// A repository whose project lives in app/ (lint runs from a subdirectory of
// the work tree). main holds five migrations; the branch "feature" changes 2,
// adds 4 (and its down file), deletes 3 and a file outside migrations/, in two
// commits.
struct Repo {
    sm::util::TempDir tmp{"sm-lint-git"};
    fs::path root = tmp.path() / "origin";
    fs::path app = root / "app";
    fs::path migrations = app / "migrations";

    Repo() {
        fs::create_directories(root);
        git(root, {"init", "-q", "-b", "main"});
        write(migrations / "0_legacy.up.sql", "DROP TABLE legacy;\n");  // an error, never changed
        write(migrations / "1_t.up.sql", "CREATE TABLE t (a int);\n");
        write(migrations / "1_t.down.sql", "DROP TABLE t;\n");
        write(migrations / "2_u.up.sql", "CREATE TABLE u (b int);\n");
        write(migrations / "3_w.up.sql", "CREATE TABLE w (c int);\n");
        write(root / "other" / "x.sql", "SELECT 1;\n");
        git(root, {"add", "-A"});
        git(root, {"commit", "-q", "-m", "main"});
        git(root, {"checkout", "-q", "-b", "feature"});
        write(migrations / "2_u.up.sql", "CREATE TABLE u (b int);\nCREATE TABLE u2 (b int);\n");
        fs::remove(migrations / "3_w.up.sql");
        write(root / "other" / "x.sql", "SELECT 2;\n");
        git(root, {"add", "-A"});
        git(root, {"commit", "-q", "-m", "change 2, delete 3"});
        write(migrations / "4_v.up.sql", "CREATE TABLE v (id int);\n");
        write(migrations / "4_v.down.sql", "DROP TABLE v;\n");
        git(root, {"add", "-A"});
        git(root, {"commit", "-q", "-m", "add 4"});
    }
};

}  // namespace

TEST_CASE("lint --changed-since lints what the branch and the work tree changed", "[lint][git]") {
    Repo repo;
    // Uncommitted: an unstaged edit, a staged new file, an untracked file, a
    // deleted-but-uncommitted file.
    write(repo.migrations / "1_t.up.sql", "CREATE TABLE t (a int);\nCREATE TABLE t2 (a int);\n");
    write(repo.migrations / "6_staged.up.sql", "CREATE TABLE s (id int);\n");
    git(repo.root, {"add", "app/migrations/6_staged.up.sql"});
    write(repo.migrations / "5_untracked.up.sql", "CREATE TABLE n (id int);\n");

    const std::vector<std::string> expected = {
        "migrations/1_t.up.sql", "migrations/2_u.up.sql", "migrations/4_v.up.sql",
        "migrations/5_untracked.up.sql", "migrations/6_staged.up.sql"};
    // From the project's folder (a subdirectory of the work tree), default inputs.
    auto run = lint_in(repo.app, {"--changed-since", "main", "--format", "json"});
    CHECK(run.exit_code == 0);
    CHECK(linted(run) == expected);
    CHECK(run.err.find("5 changed migration(s) since main") != std::string::npos);

    // The whole folder still holds the unchanged error: a plain lint fails.
    CHECK(lint_in(repo.app, {}).exit_code == 4);

    // The same files from inside migrations/, and from the top with a path.
    auto inside = lint_in(repo.migrations, {"--changed-since", "main", "--format", "json", "."});
    auto expected_inside = expected;
    for (auto& path : expected_inside) {
        path = path.substr(std::string("migrations/").size());
    }
    CHECK(linted(inside) == expected_inside);
    auto top =
        lint_in(repo.root, {"--changed-since", "main", "--format", "json", "app/migrations"});
    auto expected_top = expected;
    for (auto& path : expected_top) {
        path.insert(0, "app/");
    }
    CHECK(linted(top) == expected_top);

    // --include-down adds the branch's down file; a file given by name is kept
    // only when it changed.
    auto downs = lint_in(
        repo.app, {"--changed-since", "main", "--format", "json", "--include-down", "migrations"});
    CHECK(linted(downs).size() == expected.size() + 1);
    auto named = lint_in(repo.app, {"--changed-since", "main", "--format", "json",
                                    "migrations/0_legacy.up.sql", "migrations/2_u.up.sql"});
    CHECK(linted(named) == std::vector<std::string>{"migrations/2_u.up.sql"});

    // A finding in a changed file is exit 4, in text with the count first.
    write(repo.migrations / "5_untracked.up.sql", "DROP TABLE t;\n");
    auto failing = lint_in(repo.app, {"--changed-since", "main"});
    CHECK(failing.exit_code == 4);
    CHECK(failing.out.rfind("5 changed migration(s) since main\n", 0) == 0);
    CHECK(failing.out.find("5_untracked.up.sql:1:") != std::string::npos);
    CHECK(failing.out.find("0_legacy") == std::string::npos);
}

TEST_CASE("lint --changed-since with nothing changed is exit 0 and an empty report",
          "[lint][git]") {
    Repo repo;
    auto text = lint_in(repo.app, {"--changed-since", "HEAD"});
    CHECK(text.exit_code == 0);
    CHECK(text.out == "no changed migrations since HEAD\n");

    auto json = lint_in(repo.app, {"--changed-since", "HEAD", "--format", "json"});
    CHECK(json.exit_code == 0);
    CHECK(linted(json).empty());
    CHECK(nlohmann::json::parse(json.out)["files"] == 0);
    CHECK(json.err == "no changed migrations since HEAD\n");

    auto sarif = lint_in(repo.app, {"--changed-since", "HEAD", "--format", "sarif"});
    CHECK(sarif.exit_code == 0);
    auto doc = nlohmann::json::parse(sarif.out);
    CHECK(doc["version"] == "2.1.0");
    CHECK(doc["runs"][0]["results"].empty());
    CHECK(sarif.err == "no changed migrations since HEAD\n");

    // Only a file outside the inputs, and a deletion, changed: still nothing to lint.
    write(repo.root / "other" / "x.sql", "SELECT 3;\n");
    fs::remove(repo.migrations / "4_v.up.sql");
    auto outside = lint_in(repo.app, {"--changed-since", "HEAD"});
    CHECK(outside.exit_code == 0);
    CHECK(outside.out == "no changed migrations since HEAD\n");
}

TEST_CASE(
    "lint --changed-since in a shallow clone: an unknown ref is exit 2 with a fetch that works",
    "[lint][git]") {
    Repo repo;
    fs::path clone = repo.tmp.path() / "clone";
    git(repo.tmp.path(), {"clone", "-q", "--depth=1", "--branch", "feature",
                          "file://" + repo.root.string(), clone.string()});
    fs::path app = clone / "app";

    // origin/main is not in a single-branch shallow clone: the hint fetches it.
    auto unknown = lint_in(app, {"--changed-since", "origin/main"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("safe-migrate: error: --changed-since: 'origin/main' is not a commit of "
                           "the git clone at ") != std::string::npos);
    CHECK(unknown.err.find("hint: CI checkouts are often shallow: fetch it with `git fetch "
                           "--deepen=100 origin main:refs/remotes/origin/main`.") !=
          std::string::npos);
    auto fetch = hint_command(unknown.err);
    git(clone, std::vector<std::string>(fetch.begin() + 1, fetch.end()));
    auto fetched = lint_in(app, {"--changed-since", "origin/main", "--format", "json"});
    CHECK(fetched.exit_code == 0);
    CHECK(linted(fetched) ==
          std::vector<std::string>{"migrations/2_u.up.sql", "migrations/4_v.up.sql"});

    // A branch name: fetched under the same local name.
    auto plain = lint_in(app, {"--changed-since", "main"});
    CHECK(plain.exit_code == 2);
    auto fetch_plain = hint_command(plain.err);
    CHECK(sm::util::join(fetch_plain, " ") == "git fetch --deepen=100 origin main:main");
    git(clone, std::vector<std::string>(fetch_plain.begin() + 1, fetch_plain.end()));
    CHECK(lint_in(app, {"--changed-since", "main"}).exit_code == 0);
}

TEST_CASE(
    "lint --changed-since: a ref without shared history in a shallow clone is exit 2 with "
    "a deepen that works",
    "[lint][git]") {
    Repo repo;
    fs::path clone = repo.tmp.path() / "clone";
    git(repo.tmp.path(), {"clone", "-q", "--depth=1", "--branch", "feature",
                          "file://" + repo.root.string(), clone.string()});
    // The base is known, but the clone's one commit does not reach it.
    git(clone, {"fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main"});
    auto cut = lint_in(clone / "app", {"--changed-since", "origin/main"});
    CHECK(cut.exit_code == 2);
    CHECK(cut.err.find("'origin/main' and HEAD share no commit in this shallow clone") !=
          std::string::npos);
    auto deepen = hint_command(cut.err);
    CHECK(sm::util::join(deepen, " ") == "git fetch --deepen=100 origin");
    git(clone, std::vector<std::string>(deepen.begin() + 1, deepen.end()));
    auto run = lint_in(clone / "app", {"--changed-since", "origin/main", "--format", "json"});
    CHECK(run.exit_code == 0);
    CHECK(linted(run) ==
          std::vector<std::string>{"migrations/2_u.up.sql", "migrations/4_v.up.sql"});
}

TEST_CASE("lint --changed-since outside a git work tree is exit 2", "[lint][git]") {
    sm::util::TempDir dir{"sm-lint-nogit"};
    write(dir.path() / "migrations" / "1_t.up.sql", "CREATE TABLE t (a int);\n");
    auto run = lint_in(dir.path(), {"--changed-since", "main"});
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("safe-migrate: error: --changed-since: " +
                       fs::canonical(dir.path() / "migrations").string() +
                       " is not in a git work tree") != std::string::npos);
    CHECK(lint_in(dir.path(), {"--changed-since=-p", "migrations"}).err ==
          "safe-migrate: error: --changed-since needs a git revision, not '-p'\n");
}

TEST_CASE("lint of an empty directory, a directory of down files or a missing path is exit 3",
          "[lint]") {
    sm::util::TempDir dir{"sm-lint-empty"};
    fs::create_directories(dir.path() / "empty");
    auto empty = lint_in(dir.path(), {"empty"});
    CHECK(empty.exit_code == 3);
    CHECK(empty.err == "safe-migrate: error: empty holds no migration files to lint\n");

    write(dir.path() / "downs" / "1_t.down.sql", "DROP TABLE t;\n");
    write(dir.path() / "downs" / "notes.txt", "not sql\n");
    auto downs = lint_in(dir.path(), {"downs"});
    CHECK(downs.exit_code == 3);
    CHECK(downs.err ==
          "safe-migrate: error: downs holds no migration files to lint\n"
          "hint: It holds only down migrations: `safe-migrate lint --include-down downs` lints "
          "them.\n");
    CHECK(lint_in(dir.path(), {"--include-down", "downs"}).exit_code == 4);  // DROP TABLE

    auto missing = lint_in(dir.path(), {"nowhere"});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err == "safe-migrate: error: nowhere does not exist\n");
    // The default input, the project's migrations directory, is checked the same way.
    auto no_project = lint_in(dir.path() / "empty", {});
    CHECK(no_project.exit_code == 3);
    CHECK(no_project.err.find("migrations does not exist") != std::string::npos);
}

}  // namespace lint_changed_since_test
