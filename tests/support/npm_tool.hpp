#pragma once
// Test tools pinned as npm packages (s3rver, dbmate), installed into the build
// tree by tests/support/npm_install.sh.

#include <filesystem>
#include <string>

namespace sm::test {

// Installs the package pinned in package_dir (package.json and its lock) into
// dest, once for all tests (under a lock in dest), and returns the path of its
// command bin. A failed install fails the test (REQUIRE), never skips it.
std::filesystem::path installed_npm_tool(const std::filesystem::path& package_dir,
                                         const std::filesystem::path& dest, const std::string& bin);

}  // namespace sm::test
