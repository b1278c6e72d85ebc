#pragma once
// Running pg_dump and pg_restore: argv only, C messages (progress and errors
// are parsed), progress shown while they run, SIGINT/SIGTERM passed on.

#include <filesystem>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sm::backup {

// A spec for program with args, LC_MESSAGES=C and LC_ALL unset.
util::ProcessSpec tool_spec(const std::filesystem::path& program, std::vector<std::string> args);

// Runs spec to completion, counting table data items in its -v output
// (ProgressCounter) against total. An interrupt (util/signals.hpp) sends the
// child SIGTERM; the caller checks util::interrupted() afterwards.
util::ProcessResult run_with_progress(const util::ProcessSpec& spec, const std::string& what,
                                      int total, bool quiet);

// "pg_dump exited with code 1:\n  pg_dump: error: ..." with only the lines that
// explain the failure, redacted.
std::string failure_message(const std::string& program, const util::ProcessResult& result);

}  // namespace sm::backup
