// Unit tests for src/util/git.{hpp,cpp}: the fetch hint for a ref git does not
// know (tests/integration/lint_changed_since_test.cpp runs the hints in real clones).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "util/git.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_git_test {

using sm::util::git_fetch_command;
using Remotes = std::vector<std::string>;

TEST_CASE("git fetch hint: a remote-tracking branch is fetched into itself", "[git]") {
    CHECK(git_fetch_command("origin/main", {"origin"}) ==
          "git fetch --deepen=100 origin main:refs/remotes/origin/main");
    CHECK(git_fetch_command("refs/remotes/upstream/release/2.x", {"origin", "upstream"}) ==
          "git fetch --deepen=100 upstream release/2.x:refs/remotes/upstream/release/2.x");
}

TEST_CASE("git fetch hint: names, commit ids and expressions", "[git]") {
    CHECK(git_fetch_command("main", {"origin"}) == "git fetch --deepen=100 origin main:main");
    CHECK(git_fetch_command("v1.4", {"upstream"}) == "git fetch --deepen=100 upstream v1.4:v1.4");
    std::string sha(40, 'a');
    CHECK(git_fetch_command(sha, {"origin"}) == "git fetch --deepen=100 origin " + sha);
    CHECK(git_fetch_command("abc1234", {"origin"}) == "git fetch --deepen=100 origin");
    CHECK(git_fetch_command("add", {"origin"}) == "git fetch --deepen=100 origin add:add");
    CHECK(git_fetch_command("HEAD~3", {"fork", "origin"}) == "git fetch --deepen=100 origin");
}

TEST_CASE("git fetch hint: no remote, no command", "[git]") {
    CHECK(git_fetch_command("origin/main", Remotes{}).empty());
}

}  // namespace util_git_test
