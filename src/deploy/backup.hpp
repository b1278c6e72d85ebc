#pragma once
// `backup create` as a library call: take a backup of one target into the
// catalog and tell the team (backup.completed, or backup.failed with the
// reason). The dump itself, its lock and its manifest are backup/create.hpp's.

#include <chrono>
#include <string>

#include "backup/manifest.hpp"
#include "backup/verify.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "deploy/request.hpp"

namespace sm::deploy {

struct BackupRequest {
    core::Config config;  // notifications, application_name
    core::Target target;
    core::BackupSettings settings;  // [backup] with the caller's overrides; dir is the catalog
    std::string label;              // part of the id; empty: the kind ("manual")
    std::chrono::milliseconds lock_wait{60000};  // for the migration lock
    bool quiet = false;                          // pg_dump prints no progress
    Boundaries io;
};

// Connects to the target, takes the backup under the migration lock (waiting
// up to lock_wait), and notifies. Returns the complete manifest; the backup is
// in settings.dir / id. Throws sm::Error: db_unreachable when the target
// cannot be reached, and backup::create_backup's errors (backup_failed,
// lock_busy, interrupted under the caller's util::InterruptGuard) after
// notifying backup.failed.
backup::Manifest create_backup(const BackupRequest& request);

// `backup verify` as a library call.
struct VerifyRequest {
    core::Config config;            // [backup] keys, application_name
    core::BackupSettings settings;  // the catalog (config.backup with the caller's --backup-dir)
    core::Target target;            // where a restore test restores
    std::optional<std::string> id;  // the backup; std::nullopt: the newest usable one
    bool full = false;              // read every archive file (pg_restore --list of each)
    bool restore_test = false;      // also restore into a scratch database and compare
    bool quiet = false;
};

struct VerifyOutcome {
    backup::VerifyResult result;
    size_t files = 0;  // how many files the manifest lists
};

// Verifies one backup of the catalog (downloading a remote one first), with a
// restore test when asked and the checks passed, and records the result in
// its manifest (a failed backup is marked failed). A restore test stops with
// interrupted under the caller's util::InterruptGuard. Throws sm::Error
// (backup_failed) when the entry has no readable manifest, not_found for an
// unknown id; a failed verification is returned, not thrown.
VerifyOutcome verify_catalog_backup(const VerifyRequest& request);

}  // namespace sm::deploy
