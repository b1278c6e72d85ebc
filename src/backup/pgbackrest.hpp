#pragma once
// Running pgBackRest (https://pgbackrest.org) for the restore-point engine:
// check, info, a full backup and the point-in-time restore, always from an
// argv vector. pgBackRest's own configuration (its --config file, or its
// default /etc/pgbackrest/pgbackrest.conf) says where the repository is;
// safe-migrate only names the stanza.
//
// When safe-migrate runs as root, pgBackRest runs as the cluster's owner (the
// owner of the local data directory, else the `postgres` account), so the
// files it writes (locks, logs, the restored cluster) stay the owner's.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sm::backup {

struct PgBackRest {
    std::string stanza;
    std::optional<std::filesystem::path> config;  // --config; default: pgBackRest's own
    std::optional<util::RunAs> run_as;            // set when we are root
};

// A full or differential backup as `pgbackrest info --output=json` lists it.
struct BaseBackup {
    std::string label;  // "20261206-165923F"
    std::string type;   // "full" or "diff"
    std::chrono::system_clock::time_point stopped;
};

// The pgbackrest arguments for command and its options, config and stanza
// first: {"--config=...", "--stanza=S", command, options...}.
std::vector<std::string> pgbackrest_args(const PgBackRest& p, const std::string& command,
                                         const std::vector<std::string>& options = {});

// The same as one command line a DBA can paste ("pgbackrest --stanza=S ...").
std::string pgbackrest_command_line(const PgBackRest& p, const std::string& command,
                                    const std::vector<std::string>& options = {});

// The account to run pgBackRest and pg_ctl as: std::nullopt when we are not
// root; else the owner of data_dir when it exists here, else `postgres`.
std::optional<util::RunAs> cluster_account(const std::optional<std::filesystem::path>& data_dir);

// Runs pgbackrest with args. Throws sm::Error (backup_failed) when pgbackrest
// is not installed (saying how to install it) or when it fails, naming the
// command, how it ended and the lines of its output that explain why.
util::ProcessResult run_pgbackrest(const PgBackRest& p, const std::string& command,
                                   const std::vector<std::string>& options = {});

// The newest full or differential backup of the stanza in the text of
// `pgbackrest info --output=json`, optionally only those that stopped before
// `before`. std::nullopt when there is none. Throws sm::Error (backup_failed)
// when the text is not pgBackRest's JSON or does not hold the stanza.
std::optional<BaseBackup> newest_base_backup(
    const std::string& info_json, const std::string& stanza,
    std::optional<std::chrono::system_clock::time_point> before = std::nullopt);

}  // namespace sm::backup
