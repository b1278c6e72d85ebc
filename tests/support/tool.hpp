#pragma once
// Running the real safe-migrate binary from tests, as users and pipelines do.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sm::test {

struct ToolRun {
    int exit_code = -1;
    int signal = 0;
    std::string out;
    std::string err;
    std::string all() const { return out + err; }
};

// Runs safe-migrate with args and extra environment (DATABASE_URL is cleared
// unless env sets it); waits for it.
ToolRun run_tool(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {});

// run_tool from the working directory dir (init, new and lint read or write it).
ToolRun run_tool_in(const std::filesystem::path& dir, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {});

// Starts safe-migrate without waiting, for signal and concurrency tests.
std::unique_ptr<util::ChildProcess> start_tool(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env = {});

ToolRun to_run(const util::ProcessResult& result);

// The arguments of the first "safe-migrate ..." command a hint names, up to a
// quote, a parenthesis, a semicolon or the sentence's final period:
// "undo them with safe-migrate rollback --steps 1." -> {"rollback", "--steps", "1"}.
// Empty when the text names no command.
std::vector<std::string> hinted_args(const std::string& hint);

}  // namespace sm::test
