#pragma once
// The pre-deploy safety point of [backup] engine = "pgbackrest": instead of a
// dump that grows with the database, a named restore point in the WAL that
// pgBackRest archives, recorded in the catalog like any backup (kind
// restore-point, no files, the LSN in its manifest).
//
// Steps, each of which refuses with exit 7 (backup_failed) and says why:
//   the role may call pg_create_restore_point() and pg_switch_wal() (a
//     superuser, or granted EXECUTE: the error prints the GRANT)
//   wal_level is replica or logical
//   `pgbackrest check` passes (WAL archiving works)
//   the newest full or differential backup is younger than
//     [backup] max_base_backup_age, or one is taken with take_base_backup
//   pg_create_restore_point('safe-migrate-<run id>'), then pg_switch_wal(),
//     so the segment holding the point is archived now
//   the manifest, written last into <catalog>/<id>/

#include <optional>
#include <string>

#include "backup/manifest.hpp"
#include "backup/pgbackrest.hpp"
#include "core/config.hpp"
#include "db/session.hpp"

namespace sm::backup {

struct RestorePointRequest {
    std::string run_id;  // names the point: "safe-migrate-<run id>"
    core::BackupSettings settings;
    db::Session* control = nullptr;  // on the target; the caller holds the migration lock
    bool quiet = false;              // no progress lines (a base backup says it started)
};

// The pgBackRest invocation for settings, run as the owner of the cluster that
// session is connected to (when we are root; see cluster_account).
PgBackRest pgbackrest_for(const core::BackupSettings& settings, db::Session& session);

// The cluster's data directory when the role may read it (superuser or
// pg_read_all_settings), else std::nullopt.
std::optional<std::string> data_directory(db::Session& session);

// Throws sm::Error (backup_failed) unless the session's role may create
// restore points and switch WAL, with the GRANT statements that fix it.
void require_restore_point_privileges(db::Session& session);

// Takes the restore point. Returns its complete manifest (also written to
// settings.dir / id). Throws sm::Error (backup_failed) as described above;
// nothing is recorded in the catalog when a check refuses.
Manifest create_restore_point(const RestorePointRequest& request);

}  // namespace sm::backup
