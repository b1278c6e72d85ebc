#include "deploy/backup.hpp"

#include "backup/catalog.hpp"
#include "backup/create.hpp"
#include "backup/remote_catalog.hpp"
#include "backup/restore_test.hpp"
#include "core/identity.hpp"
#include "db/target_info.hpp"
#include "notify/notifier.hpp"
#include "util/error.hpp"

namespace sm::deploy {

backup::Manifest create_backup(const BackupRequest& request) {
    // 1. Connect; the control session holds the migration lock during the dump.
    auto control = request.io.connect("lock");
    backup::CreateRequest create;
    create.settings = request.settings;
    create.label = request.label;
    create.lock_wait = request.lock_wait;
    create.quiet = request.quiet;
    create.conninfo = request.target.conninfo;
    create.application_name = request.config.application_name;
    create.control = control.get();

    // 2. Dump, checksum, list, write the manifest; tell the team either way.
    notify::Notifier notifier(request.config, core::new_run_id(), request.io.http());
    notify::Event event = notifier.event("backup.completed", "completed");
    event.target = notify::event_target(db::read_identity(*control));
    backup::Manifest m;
    try {
        m = request.io.take_backup(create);
    } catch (const Error& e) {
        event.type = "backup.failed";
        event.status = "failed";
        event.error = notify::event_error(e.code(), e.what());
        notifier.send(event);
        throw;
    }
    event.migrations = {};
    event.version_from = m.migration_head;
    event.started_at = m.started_at;
    event.duration_ms = m.duration_ms;
    event.backup =
        notify::EventBackup{m.id, m.total_bytes, m.state == backup::BackupState::verified};
    notifier.send(event);
    return m;
}

VerifyOutcome verify_catalog_backup(const VerifyRequest& request) {
    // 1. The backup: the newest usable one, or the one named.
    backup::Catalog catalog = backup::open_catalog(request.settings);
    const backup::CatalogEntry& entry =
        request.id ? backup::find_backup(catalog, *request.id) : backup::newest_usable(catalog);
    if (!entry.manifest) {
        throw Error(ExitCode::backup_failed, "backup " + entry.dir.filename().string() +
                                                 " failed verification: " + entry.problem);
    }
    // 2. Its files (a full read for a restore test), then the restore test.
    backup::Manifest m = *entry.manifest;
    VerifyOutcome out{backup::verify_in_catalog(
                          catalog, entry, request.full || request.restore_test,
                          request.config.backup.pg_bin_dir, request.config.backup.encryption_key),
                      m.files.size()};
    if (out.result.ok && request.restore_test) {
        backup::RestoreTestRequest test;
        test.backup_dir = entry.dir;
        test.manifest = m;
        test.conninfo = request.target.conninfo;
        test.application_name = request.config.application_name;
        test.settings = request.config.backup;
        test.quiet = request.quiet;
        backup::restore_test(test, out.result);
    }
    // 3. Record the verdict in the manifest (and the remote catalog's copy).
    backup::record_verification(entry.dir, m, out.result);
    backup::save_manifest(catalog, entry.dir);
    return out;
}

}  // namespace sm::deploy
