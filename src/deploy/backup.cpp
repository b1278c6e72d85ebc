#include "deploy/backup.hpp"

#include "backup/create.hpp"
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

}  // namespace sm::deploy
