#pragma once
// The deepest check of a backup (`backup verify --restore-test`): restore it
// into a scratch database on the target's server, where restore_backup
// compares the table list and row counts with the manifest, then drop it.

#include <filesystem>
#include <string>

#include "backup/manifest.hpp"
#include "backup/verify.hpp"
#include "core/config.hpp"

namespace sm::backup {

struct RestoreTestRequest {
    std::filesystem::path backup_dir;
    Manifest manifest;
    std::string conninfo;           // the target (may hold a password; never recorded)
    std::string application_name;   // our sessions add "/verify", "/restore"
    core::BackupSettings settings;  // pg_bin_dir, jobs
    bool quiet = false;             // pg_restore prints no progress
};

// Restores request's backup into a new database "sm_verify_<random hex>" on
// the target's server and drops it again (WITH (FORCE)). Sets r.how to
// "restore"; when the restore or its check fails, adds "restore test: <why>"
// to r.problems and clears r.ok. Does not record the result in the manifest.
// Throws sm::Error (db_unreachable) when the server cannot be reached, and
// db::DbError when the scratch database cannot be dropped.
void restore_test(const RestoreTestRequest& request, VerifyResult& r);

}  // namespace sm::backup
