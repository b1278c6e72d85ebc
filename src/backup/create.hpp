#pragma once
// Taking a backup: pg_dump into the catalog, with a verified manifest.
//
// Steps: hold the migration advisory lock (so a backup and a migration never
// overlap), read the source's identity and migration head, check pg_dump's
// version and the free disk space, export a snapshot, run pg_dump on that
// snapshot (argv only; the password through PGPASSWORD) while counting each
// table's rows in the same snapshot, checksum every file, read the archive's
// listing, and write the manifest last. All of it happens in a work directory
// renamed into place at the end. A failed or interrupted backup is renamed
// into place as state "failed" with its archive removed, so it is visible,
// explained, and never chosen as latest.

#include <chrono>
#include <string>

#include "backup/manifest.hpp"
#include "core/config.hpp"
#include "db/session.hpp"

namespace sm::backup {

struct CreateRequest {
    BackupKind kind = BackupKind::manual;
    std::string label;
    std::string run_id;
    core::BackupSettings settings;
    std::string conninfo;          // the source; may hold a password (never recorded)
    std::string application_name;  // for our own sessions
    // The session that holds (or will take) the migration lock.
    db::Session* control = nullptr;
    bool lock_already_held = false;  // the caller took the lock on control
    std::chrono::milliseconds lock_wait{60000};
    bool quiet = false;  // no progress output
};

// Takes the backup. Returns the complete manifest. Throws sm::Error
// (backup_failed) after recording the failed backup, (interrupted) on
// SIGINT/SIGTERM, (lock_busy) when the migration lock is held elsewhere.
Manifest create_backup(const CreateRequest& request);

// Bytes of table data (heap and TOAST, no indexes) from the catalog's page
// counts, taking no locks: an upper bound for an uncompressed dump.
int64_t estimate_data_bytes(db::Session& session);

// Who the session is connected to, as a manifest records it (host, port,
// database, system identifier, server version, encoding). Throws DbError.
SourceIdentity read_source_identity(db::Session& s);

}  // namespace sm::backup
