#pragma once
// `backup create` as a library call: take a backup of one target into the
// catalog and tell the team (backup.completed, or backup.failed with the
// reason). The dump itself, its lock and its manifest are backup/create.hpp's.

#include <chrono>
#include <string>

#include "backup/manifest.hpp"
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

}  // namespace sm::deploy
