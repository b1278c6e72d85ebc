#pragma once
// Options shared by every command, and each command's own arguments. The
// command table (app.cpp) fills these from the command line.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::cli {

enum class Format { text, json };

struct GlobalOptions {
    std::optional<std::filesystem::path> config;
    std::optional<std::string> env;
    std::optional<std::string> database_url;
    std::optional<std::filesystem::path> migrations_dir;
    bool verbose = false;
    bool quiet = false;
    Format format = Format::text;
};

struct PlanArgs {
    std::optional<std::string> policy;
    std::optional<std::filesystem::path> out;
    bool trace = false;
};

struct ExecuteArgs {
    std::optional<std::filesystem::path> plan;  // the reviewed plan artifact to hold the run to
    std::optional<int64_t> target;
    std::optional<std::string> lock_wait;
    std::optional<std::string> lock_timeout;
    std::optional<int> lock_retries;
    std::vector<int64_t> accept_changed;
    bool allow_out_of_order = false;
    bool backup = false;                    // take a verified pre-deploy backup first
    bool skip_backup = false;               // skip the backup a protected environment requires
    std::optional<std::string> reason;      // why, for --skip-backup (recorded)
    std::optional<std::string> on_failure;  // rollback, restore, stop
    std::optional<std::string> wait_for_blockers;  // durations as given
    std::optional<std::string> blocker_age;
    bool terminate_blockers = false;
    std::optional<std::string> max_replica_lag;
    std::optional<std::string> max_duration;
    bool dry_run = false;  // change nothing; say whether the run would proceed
};

struct RollbackArgs {
    std::optional<int> steps;
    std::optional<int64_t> to;
    std::optional<std::string> lock_wait;
};

struct LintArgs {
    std::vector<std::filesystem::path> paths;
    std::optional<std::string> policy;
    std::string format = "text";  // text, json, sarif, github
    int jobs = 0;                 // 0: one thread per core
    bool list_rules = false;
    bool include_down = false;
};

struct BackupArgs {
    std::string action;             // create, list, verify, prune, pin, unpin
    std::optional<std::string> id;  // verify, pin, unpin
    std::optional<std::string> label;
    std::optional<std::string> archive_format;  // directory, custom
    std::optional<int> jobs;
    std::optional<std::filesystem::path> dir;
    std::optional<std::string> lock_wait;
    bool latest = false;
    bool full = false;
    bool restore_test = false;
    bool dry_run = false;
};

struct RestoreArgs {
    bool latest = false;
    std::optional<std::string> id;
    std::optional<std::string> into;     // restore into this new database, keep the target
    std::optional<std::string> confirm;  // the target's database name
    bool in_place = false;
    bool force = false;
    bool no_safety_backup = false;
    std::optional<int> jobs;
    std::optional<std::filesystem::path> dir;
    std::optional<std::string> lock_wait;
};

struct NotifyArgs {
    std::string action;  // test, flush
};

struct SeedArgs {
    std::string action;             // run, status, rollback, clear
    std::optional<std::string> id;  // rollback: the seed
    std::optional<int> scale;       // run: overrides [seed] scale
    bool confirm = false;           // clear: required
    std::optional<std::string> lock_wait;
};

struct ResetArgs {
    bool confirm = false;  // required
    std::optional<int> scale;
    std::optional<std::string> lock_wait;
};

struct SandboxArgs {
    std::string action;  // start, stop, status, url
    std::optional<std::filesystem::path> state_file;
};

struct ValidateArgs {
    std::optional<std::filesystem::path> snapshot;  // expected schema from this file
};

struct SchemaArgs {
    std::string action;                        // dump
    std::optional<std::filesystem::path> out;  // else stdout
    bool from_target = false;                  // read the live target, not the files
};

}  // namespace sm::cli
