#include "deploy/restore.hpp"

#include <cstdlib>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/remote_catalog.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "deploy/pitr_restore.hpp"
#include "notify/notifier.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

// --latest is the newest usable backup of this very database.
backup::CatalogEntry choose_backup(const backup::Catalog& catalog,
                                   const std::optional<std::string>& id,
                                   const core::TargetIdentity& target, backup::KindFilter kinds) {
    if (id) {
        backup::CatalogEntry e = backup::find_backup(catalog, *id);
        if (!e.manifest) {
            throw Error(ExitCode::backup_failed, "backup " + *id + ": " + e.problem);
        }
        return e;
    }
    auto latest = backup::latest_backup(catalog, target.database, target.system_identifier, kinds);
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
         (m.migration_head ? core::to_string(*m.migration_head) : "none") + ", " +
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
void require_confirmation(const CatalogRestoreRequest& request, int tables,
                          const core::TargetIdentity& id, const backup::Manifest& m) {
    bool other_source =
        m.source.database != id.database || m.source.system_identifier != id.system_identifier;
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
                                       db::Session& control, bool created) {
    backup::RestoreRequest r;
    r.backup_dir = entry.dir;
    r.manifest = m;
    // A database created for the restore is empty: restore straight into it.
    r.mode = created ? backup::RestoreMode::in_place : request.mode;
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
    r.session_wait = request.config.restore.session_wait;
    r.safety_backup = request.config.backup.safety_backup && !request.no_safety_backup;
    r.quiet = request.quiet;
    return r;
}

// Restores, telling the team when it starts and how it ends. from: the
// target's version before the restore.
backup::RestoreResult restore_notified(const CatalogRestoreRequest& request,
                                       const backup::RestoreRequest& restore,
                                       const core::TargetIdentity& id, const std::string& run_id,
                                       std::optional<core::Version> from) {
    const backup::Manifest& m = restore.manifest;
    // A restore is what puts things right: notifications that cannot be set up
    // do not stop it.
    auto notifier = notify::Notifier::or_silent(request.config, run_id, request.io.http());
    RestoreEvents events(*notifier, notify::event_target(id), std::move(from), m);
    events.send("restore.started", "started");
    backup::RestoreResult result;
    try {
        result = request.io.restore_backup(restore);
    } catch (const Error& e) {
        db::record_event(*restore.control, {run_id, "restore.failed", m.migration_head, e.what()});
        events.failed(e);
        throw;
    }
    events.send("restore.completed", "completed", result.took);
    return result;
}

backup::Catalog read_catalog_checked(const CatalogRestoreRequest& request) {
    if (request.config.backup.storage == "s3") {
        return backup::open_catalog(request.config.backup);
    }
    const std::filesystem::path& root = request.catalog;
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) {
        throw Error(ExitCode::backup_failed,
                    "no backup catalog at " + root.string() + "; nothing was restored",
                    "Point --backup-dir (or [backup] dir) at the catalog the backups were taken "
                    "into; see 'safe-migrate backup list --backup-dir DIR'.");
    }
    return backup::read_catalog(root);
}

struct OpenedTarget {
    std::unique_ptr<db::Session> control;      // null when the database does not exist
    std::unique_ptr<db::Session> maintenance;  // set when it does not
    std::string maintenance_name;
    core::TargetIdentity identity;
};

// The database the connection string names: its dbname, else PGDATABASE,
// else the user's name (libpq's defaults).
std::string target_database_name(const std::string& conninfo, db::Session& maintenance) {
    std::string shown = core::redacted_conninfo(conninfo);
    std::string name = shown.substr(shown.rfind('/') + 1);
    if (name.empty()) {
        const char* env = std::getenv("PGDATABASE");
        name = env != nullptr ? env : maintenance.exec("SELECT current_user").scalar().value_or("");
    }
    return name;
}

// Connects to the target. When it cannot and a maintenance database (postgres,
// then template1) shows the target's database is not there (dropped), returns
// that session instead; any other failure is rethrown as it was.
OpenedTarget open_target(const CatalogRestoreRequest& request) {
    OpenedTarget t;
    try {
        t.control = request.io.connect("lock");
    } catch (const Error& e) {
        if (e.code() != ExitCode::db_unreachable || request.mode == backup::RestoreMode::into) {
            throw;
        }
        try {
            t.maintenance = backup::maintenance_session(
                request.target.conninfo, request.config.application_name + "/restore");
        } catch (const Error&) {
            throw e;
        }
        std::string name = target_database_name(request.target.conninfo, *t.maintenance);
        if (name.empty() ||
            !t.maintenance->exec_params("SELECT 1 FROM pg_database WHERE datname = $1", {name})
                 .empty()) {
            throw e;
        }
        db::refuse_standby(*t.maintenance);
        t.identity = db::read_identity(*t.maintenance);
        t.maintenance_name = t.identity.database;
        t.identity.database = name;
        return t;
    }
    db::refuse_standby(*t.control);
    t.identity = db::read_identity(*t.control);
    return t;
}

std::string describe_mode(backup::RestoreMode mode) {
    return mode == backup::RestoreMode::into       ? "into a new database"
           : mode == backup::RestoreMode::in_place ? "in place"
                                                   : "via a new database and a swap";
}

// The restore joins the trail of the database that now holds the backup (a
// swap ended the control session, so on a new one).
void record_completed(const CatalogRestoreRequest& request, const CatalogRestoreResult& done,
                      const std::string& run_id, const backup::Manifest& m) {
    try {
        auto session = request.io.connect("events");
        if (!db::history_exists(*session)) {
            return;  // neither the backup nor the replaced database kept a trail
        }
        std::string where = done.restored.database;
        db::record_event(*session, {run_id, "restore.completed", m.migration_head,
                                    "restored backup " + m.id + " into " + where +
                                        (done.restored.previous_database.empty()
                                             ? ""
                                             : "; the previous database is kept as " +
                                                   done.restored.previous_database) +
                                        "; " + std::to_string(done.restored.events_carried) +
                                        " newer event(s) carried over"});
    } catch (const std::exception& e) {
        core::log_warn("could not record the restore in the history: " +
                       util::redact_text(e.what()));
    }
}

}  // namespace

RestoreEvents::RestoreEvents(notify::Notifier& notifier, notify::EventTarget target,
                             std::optional<core::Version> from, const backup::Manifest& backup)
    : m_notifier(notifier),
      m_target(std::move(target)),
      m_from(std::move(from)),
      m_backup(backup) {}

notify::Event RestoreEvents::make(const std::string& type, const std::string& status) const {
    notify::Event e = m_notifier.event(type, status);
    e.target = m_target;
    e.version_from = m_from;
    e.version_to = m_backup.migration_head;
    e.backup = notify::EventBackup{m_backup.id, m_backup.total_bytes, true};
    return e;
}

void RestoreEvents::send(const std::string& type, const std::string& status,
                         std::chrono::milliseconds took) {
    notify::Event e = make(type, status);
    e.duration_ms = took.count();
    m_notifier.send(e);
}

void RestoreEvents::failed(const Error& error) {
    notify::Event e = make("restore.failed", "failed");
    e.version_to = m_from;  // nothing was restored: the target stays where it was
    e.error = notify::event_error(error.code(), error.what());
    e.runbook = k_restore_runbook;
    m_notifier.send(e);
}

CatalogRestoreResult restore_from_catalog(const CatalogRestoreRequest& request,
                                          const std::function<void(const std::string&)>& tell) {
    // 1. The catalog and the target: connect (or find it dropped), refuse a
    //    standby, read who it is.
    backup::Catalog catalog = read_catalog_checked(request);
    OpenedTarget target = open_target(request);
    core::TargetIdentity id = target.identity;

    // 2. Which backup: the one named, or the newest usable one of this database.
    backup::CatalogEntry entry = choose_backup(catalog, request.id, id, request.kinds);
    backup::Manifest m = *entry.manifest;
    if (m.kind == backup::BackupKind::restore_point) {
        // A point-in-time recovery of the whole cluster (deploy/pitr_restore.hpp).
        return restore_to_point(request, entry, m,
                                target.control ? *target.control : *target.maintenance, id, tell);
    }

    // 3. Verify it before touching anything.
    verify_chosen(request, entry.dir, m);

    // 4. Say exactly what will happen, and require the name where it matters.
    describe(request, m, id, tell);
    require_confirmation(request, target.control ? backup::user_table_count(*target.control) : 0,
                         id, m);

    // 5. A dropped target is created again, empty, from the maintenance database.
    if (!target.control) {
        backup::create_empty_database(*target.maintenance, id.database, m);
        tell("database " + id.database + " did not exist; created it (empty) from the " +
             "maintenance database " + target.maintenance_name + " and restoring into it");
        target.control = request.io.connect("lock");
    }

    // 6. Hold the migration lock throughout, then restore, record it in the
    //    trail and tell the team.
    std::string run_id = core::new_run_id();
    db::AdvisoryLock lock(*target.control, request.lock_wait);
    backup::RestoreRequest restore =
        restore_request(request, entry, m, *target.control, target.maintenance != nullptr);
    if (db::history_exists(*target.control)) {
        db::record_event(*target.control,
                         {run_id, "restore.started", m.migration_head,
                          "restoring backup " + m.id + " (" + describe_mode(restore.mode) + ")"});
    }
    CatalogRestoreResult done;
    done.backup_id = m.id;
    done.restored = restore_notified(request, restore, id, run_id, db::read_head(*target.control));
    record_completed(request, done, run_id, m);
    return done;
}

}  // namespace sm::deploy
