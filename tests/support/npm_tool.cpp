#include "support/npm_tool.hpp"

#include <catch2/catch.hpp>

#include "util/process.hpp"

namespace sm::test {

std::filesystem::path installed_npm_tool(const std::filesystem::path& package_dir,
                                         const std::filesystem::path& dest,
                                         const std::string& bin) {
    std::filesystem::create_directories(dest);
    util::ProcessSpec install;
    install.program = "flock";
    install.args = {(dest / ".install.lock").string(),
                    "sh",
                    SM_NPM_INSTALL,
                    package_dir.string(),
                    dest.string(),
                    bin};
    auto installed = util::run_process(install);
    INFO(installed.out + installed.err);
    REQUIRE(installed.ok());
    return dest / "node_modules" / ".bin" / bin;
}

}  // namespace sm::test
