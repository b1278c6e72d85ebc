#include "deploy/restore.hpp"

#include <vector>

#include "backup/catalog.hpp"
#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "db/target_info.hpp"
#include "notify/notifier.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

// --latest is the newest usable backup of this very database.
backup::CatalogEntry choose_backup(const backup::Catalog& catalog,
                                   const std::optional<std::string>& id,
                                   const core::TargetIdentity& target) {
    if (id) {
        backup::CatalogEntry e = backup::find_backup(catalog, *id);
        if (!e.manifest) {
            throw Error(ExitCode::backup_failed, "backup " + *id + ": " + e.problem);
        }
        return e;
    }
    auto latest = backup::latest_backup(catalog, target.database, target.system_identifier);
    if (!latest) {
        throw Error(ExitCode::backup_failed,
                    "no complete backup of database " + target.database + " (system identifier " +
                        target.system_identifier + ") in " + catalog.root.string(),
                    "Failed backups and backups of other clusters are never chosen. See "
                    "'safe-migrate backup list', or name one with --id.");
    }
    return *latest;
}

// Checks every file of the backup in dir; the result is recorded in m and
// its manifest.
void verify_chosen(const CatalogRestoreRequest& request, const std::filesystem::path& dir,
                   backup::Manifest& m) {
    std::vector<std::string> problems = request.io.verify_backup(dir, m);
    if (!problems.empty()) {
        throw Error(ExitCode::backup_failed,
                    "backup " + m.id + " failed verification; nothing was restored:\n  " +
                        util::join(problems, "\n  "),
                    "Choose another backup with --id (see 'safe-migrate backup list').");
    }
}

// The two lines that say exactly what will happen.
void describe(const CatalogRestoreRequest& request, const backup::Manifest& m,
              const core::TargetIdentity& id, const std::function<void(const std::string&)>& tell) {
    tell("backup   " + m.id + " (finished " + m.finished_at + ", migration head " +
         (m.migration_head ? std::to_string(*m.migration_head) : "none") + ", " +
         std::to_string(m.tables.size()) + " tables, from " + m.source.database + " system " +
         m.source.system_identifier + ")");
    tell("target   " + id.host + ":" + id.port + " database " + id.database +
         " (system identifier " + id.system_identifier + ")" +
         (request.mode == backup::RestoreMode::into
              ? ", restoring into new database " + request.into
          : request.mode == backup::RestoreMode::in_place ? ", in place"
                                                          : ", via a new database and a swap"));
}

// Refuses unless confirm names the target's database where a mistake would
// cost data: a protected environment, a target that holds tables (unless the
// restore goes into a new database), a backup of another database.
void require_confirmation(const CatalogRestoreRequest& request, db::Session& control,
                          const core::TargetIdentity& id, const backup::Manifest& m) {
    bool other_source =
        m.source.database != id.database || m.source.system_identifier != id.system_identifier;
    int tables = backup::user_table_count(control);
    std::vector<std::string> reasons;
    if (request.config.is_protected()) {
        reasons.push_back("environment " + request.config.environment.value_or("") +
                          " is protected");
    }
    if (request.mode != backup::RestoreMode::into && tables > 0) {
        reasons.push_back("the target holds " + std::to_string(tables) + " tables");
    }
    if (other_source) {
        reasons.push_back("the backup comes from another database (" + m.source.database + ")");
    }
    if (!reasons.empty() && request.confirm != id.database) {
        throw Error(
            ExitCode::refused,
            "restore refused: " + util::join(reasons, "; ") +
                (request.confirm
                     ? " and --confirm names '" + *request.confirm + "', not '" + id.database + "'"
                     : ""),
            "Nothing was changed. Re-run with --confirm " + id.database + " to restore over it.");
    }
}

backup::RestoreRequest restore_request(const CatalogRestoreRequest& request,
                                       const backup::CatalogEntry& entry, const backup::Manifest& m,
                                       db::Session& control) {
    backup::RestoreRequest r;
    r.backup_dir = entry.dir;
    r.manifest = m;
    r.mode = request.mode;
    r.into = request.into;
    r.conninfo = request.target.conninfo;
    r.application_name = request.config.application_name;
    r.settings = request.config.backup;
    r.settings.dir = request.catalog;
    if (request.jobs) {
        r.settings.jobs = *request.jobs;
    }
    r.control = &control;
    r.force = request.force;
    r.safety_backup = request.config.backup.safety_backup && !request.no_safety_backup;
    r.quiet = request.quiet;
    return r;
}

// Restores, telling the team when it starts and how it ends.
backup::RestoreResult restore_notified(const CatalogRestoreRequest& request,
                                       const backup::RestoreRequest& restore,
                                       const core::TargetIdentity& id) {
    const backup::Manifest& m = restore.manifest;
    notify::Notifier notifier(request.config, core::new_run_id(), request.io.http());
    auto restore_event = [&](const std::string& type, const std::string& status) {
        notify::Event e = notifier.event(type, status);
        e.target = notify::event_target(id);
        e.version_to = m.migration_head;
        e.backup = notify::EventBackup{m.id, m.total_bytes, true};
        return e;
    };
    notifier.send(restore_event("restore.started", "started"));
    backup::RestoreResult result;
    try {
        result = request.io.restore_backup(restore);
    } catch (const Error& e) {
        notify::Event failed = restore_event("restore.failed", "failed");
        failed.error = notify::event_error(e.code(), e.what());
        notifier.send(failed);
        throw;
    }
    notify::Event completed = restore_event("restore.completed", "completed");
    completed.duration_ms = result.took.count();
    notifier.send(completed);
    return result;
}

}  // namespace

CatalogRestoreResult restore_from_catalog(const CatalogRestoreRequest& request,
                                          const std::function<void(const std::string&)>& tell) {
    // 1. The catalog and the target: connect, refuse a standby, read who it is.
    backup::Catalog catalog = backup::read_catalog(request.catalog);
    auto control = request.io.connect("lock");
    db::refuse_standby(*control);
    core::TargetIdentity id = db::read_identity(*control);

    // 2. Which backup: the one named, or the newest usable one of this database.
    backup::CatalogEntry entry = choose_backup(catalog, request.id, id);
    backup::Manifest m = *entry.manifest;

    // 3. Verify it before touching anything.
    verify_chosen(request, entry.dir, m);

    // 4. Say exactly what will happen, and require the name where it matters.
    describe(request, m, id, tell);
    require_confirmation(request, *control, id, m);

    // 5. Hold the migration lock throughout, then restore and tell the team.
    db::AdvisoryLock lock(*control, request.lock_wait);
    backup::RestoreRequest restore = restore_request(request, entry, m, *control);
    return {m.id, restore_notified(request, restore, id)};
}

}  // namespace sm::deploy
