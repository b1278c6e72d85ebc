#pragma once
// Running pg_dump and pg_restore: argv only, C messages (progress and errors
// are parsed), progress shown while they run, SIGINT/SIGTERM passed on.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sm::backup {

// A spec for program with args, LC_MESSAGES=C and LC_ALL unset.
util::ProcessSpec tool_spec(const std::filesystem::path& program, std::vector<std::string> args);

// What a run's progress is measured against.
struct ProgressPlan {
    int tables = 0;                              // table data items to dump or restore
    std::map<std::string, int64_t> bytes;        // estimated bytes per table ("schema.name")
    int64_t total_bytes = 0;                     // the estimate for all (0: bytes not shown)
    std::chrono::milliseconds heartbeat{30000};  // off a terminal, a line at least this often
    bool quiet = false;
};

// Runs spec to completion, showing the tables finished (ProgressCounter, in
// parallel mode when spec has --jobs=N above 1) and their estimated bytes
// against plan. An interrupt (util/signals.hpp) sends the
// child SIGTERM; the caller checks util::interrupted() afterwards.
util::ProcessResult run_with_progress(const util::ProcessSpec& spec, const std::string& what,
                                      const ProgressPlan& plan);

// "pg_dump exited with code 1:\n  pg_dump: error: ..." with only the lines that
// explain the failure, redacted.
std::string failure_message(const std::string& program, const util::ProcessResult& result);

}  // namespace sm::backup
