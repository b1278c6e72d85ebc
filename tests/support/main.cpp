// Catch2's runner, compiled once for both test binaries. Each test process runs
// with a private temporary directory (TMPDIR) under the one it was given, and
// removes it when it exits: the tools the tests start, and kill mid-work (kill
// -9, an interrupted upload), leave their files there rather than in the shared
// directory, which under ctest is a tmpfs (tests/CMakeLists.txt) where leftovers
// would hold memory until reboot.
#define CATCH_CONFIG_RUNNER
#include <stdlib.h>  // mkdtemp, setenv

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

int main(int argc, char* argv[]) {
    const char* given = std::getenv("TMPDIR");
    std::string pattern =
        std::string(given != nullptr && *given != '\0' ? given : "/tmp") + "/sm-test-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (mkdtemp(name.data()) == nullptr) {
        std::perror(("cannot create a temporary directory like " + pattern).c_str());
        return 2;
    }
    const std::filesystem::path dir = name.data();
    // Open to every user with the sticky bit, as /tmp is: the clusters the
    // tools start run as the postgres user and keep their files there.
    std::filesystem::permissions(dir,
                                 std::filesystem::perms::all | std::filesystem::perms::sticky_bit);
    setenv("TMPDIR", dir.c_str(), 1);
    int code = Catch::Session().run(argc, argv);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return code;
}
