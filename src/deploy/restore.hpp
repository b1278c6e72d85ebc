#pragma once
// `restore` as a library call: put a verified backup from the catalog back
// onto one target, with every check first:
//
//   connect (refuse a standby), read who the target is
//   choose the backup: the one named, or the newest usable one of this very
//     database (same name and system identifier)
//   verify it (checksums; the result is recorded in its manifest)
//   describe the backup and the target (through tell), then require the
//     target's name (confirm) where it matters: a protected environment, a
//     target that holds tables, a backup of another database
//   hold the migration lock; notify restore.started; restore (backup/restore.hpp);
//     notify restore.completed or restore.failed

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/restore.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "deploy/request.hpp"
#include "notify/notifier.hpp"
#include "util/error.hpp"

namespace sm::deploy {

struct CatalogRestoreRequest {
    core::Config config;  // protection, [backup], notifications, application_name
    core::Target target;
    std::filesystem::path catalog;  // the catalog root
    std::optional<std::string> id;  // the backup; std::nullopt: the newest usable of the target
    backup::RestoreMode mode = backup::RestoreMode::swap;
    std::string into;                    // the new database for RestoreMode::into
    std::optional<std::string> confirm;  // the target's database name, as the caller gave it
    bool force = false;                  // terminate other sessions on the target
    bool no_safety_backup = false;       // skip the backup of the target taken first
    std::optional<int> jobs;             // pg_restore -j; default [backup] jobs
    std::chrono::milliseconds lock_wait{60000};          // for the migration lock
    bool quiet = false;                                  // pg_restore prints no progress
    backup::KindFilter kinds = backup::KindFilter::any;  // which kinds --latest may choose
    bool print_steps = false;  // a restore point: print the recovery's steps, do none
    Boundaries io;
};

struct CatalogRestoreResult {
    std::string backup_id;  // the backup restored
    backup::RestoreResult restored;
    // A restore point (deploy/pitr_restore.hpp): the point, and the steps left
    // to a DBA (empty when safe-migrate did the recovery itself).
    std::string restore_point;
    std::vector<std::string> steps;
    std::string events_file;    // the target's events exported before the rewind
    bool carried_only = false;  // carry_events: only the events were re-inserted
};

// Runs the restore. tell receives the two lines that describe the backup
// ("backup   <id> (...)") and the target ("target   host:port database ...")
// after the backup is verified and before the confirmation is checked; nothing
// on the target has changed by then. Throws sm::Error: db_unreachable;
// invalid_input (no backup with that id); backup_failed (its manifest is
// unreadable, no usable backup of the target, failed verification, a failed
// restore); refused (a standby, confirmation missing or wrong, sessions
// connected without force, an existing --into database, pg_restore or the
// server older than the backup); lock_busy; interrupted (SIGINT/SIGTERM under
// the caller's util::InterruptGuard). A failure of the restore itself is
// notified as restore.failed first.
inline constexpr const char* k_restore_runbook = "runbooks/restore.md";

// The restore.* events of one restore (restore, and execute's automatic
// restore): the target, its version before (from) and after (the backup's
// head), the backup. Sending never throws.
class RestoreEvents {
  public:
    RestoreEvents(notify::Notifier& notifier, notify::EventTarget target,
                  std::optional<core::Version> from, const backup::Manifest& backup);
    // restore.started (took 0) or restore.completed with how long it took.
    void send(const std::string& type, const std::string& status,
              std::chrono::milliseconds took = std::chrono::milliseconds(0));
    // restore.failed with error; version_to stays from (nothing was restored).
    void failed(const Error& error);

  private:
    notify::Event make(const std::string& type, const std::string& status) const;

    notify::Notifier& m_notifier;
    notify::EventTarget m_target;
    std::optional<core::Version> m_from;
    const backup::Manifest& m_backup;
};

// The last step of a recovery to a restore point done by hand: re-inserts the
// events exported to file into the target's trail (restored.events_carried).
// Throws sm::Error (invalid_input) when file cannot be read, db_unreachable.
CatalogRestoreResult carry_events(const CatalogRestoreRequest& request,
                                  const std::filesystem::path& file);

CatalogRestoreResult restore_from_catalog(const CatalogRestoreRequest& request,
                                          const std::function<void(const std::string&)>& tell);

}  // namespace sm::deploy
