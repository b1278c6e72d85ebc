// Where a binary finds its policies and runbooks: beside it when installed, the
// source tree only from its own build tree.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/share_dir.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_share_dir_test {

using sm::core::find_share_dir;
namespace fs = std::filesystem;

namespace {

void make_share(const fs::path& dir) {
    fs::create_directories(dir / "policies");
    std::ofstream(dir / "policies" / "default.toml") << "# shipped\n";
}

}  // namespace

TEST_CASE("an installed binary reads ../share/safe-migrate beside it", "[share_dir]") {
    sm::util::TempDir d("sm-unit-share");
    fs::path prefix = d.path() / "opt";
    make_share(prefix / "share" / "safe-migrate");
    auto found = find_share_dir(prefix / "bin" / "safe-migrate", "", "");
    REQUIRE(found);
    CHECK(*found == prefix / "share" / "safe-migrate");
}

TEST_CASE("the source tree serves only binaries inside the build tree", "[share_dir]") {
    sm::util::TempDir d("sm-unit-share");
    fs::path source = d.path() / "src";
    fs::path build = d.path() / "build";
    make_share(source);
    fs::create_directories(build);
    CHECK(find_share_dir(build / "safe-migrate", build, source) == source);
    CHECK(find_share_dir(build / "tests" / "unit_tests", build, source) == source);
    // A copy elsewhere, or one next to a directory whose name starts the same, does not.
    CHECK_FALSE(find_share_dir(d.path() / "usr" / "bin" / "safe-migrate", build, source));
    CHECK_FALSE(find_share_dir(d.path() / "build2" / "safe-migrate", build, source));
    // An install inside the build tree reads its own share directory first.
    make_share(build / "stage" / "share" / "safe-migrate");
    CHECK(find_share_dir(build / "stage" / "bin" / "safe-migrate", build, source) ==
          build / "stage" / "share" / "safe-migrate");
}

TEST_CASE("no share directory: nothing found", "[share_dir]") {
    sm::util::TempDir d("sm-unit-share");
    CHECK_FALSE(find_share_dir(d.path() / "bin" / "safe-migrate", "", ""));
}

TEST_CASE("this test binary, in its build tree, finds the source tree's policies", "[share_dir]") {
    CHECK(fs::exists(sm::core::share_dir() / "policies" / "strict.toml"));
    CHECK(fs::exists(sm::core::share_dir() / "runbooks" / "failed-deployment.md"));
}

}  // namespace core_share_dir_test
