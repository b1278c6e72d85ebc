#pragma once
// Restoring a backup into the target, with every check done before anything
// is touched (backup-and-notify.md, "Checks before a restore touches
// anything").
//
// Modes:
//  - swap (default): restore into a new database on the target's server,
//    check its table list and row counts against the manifest, then swap names
//    (the old database is kept as <db>_pre_restore_<stamp>).
//  - into: restore into a new database named by the caller; the target is left
//    alone.
//  - in place: pg_restore --clean --if-exists --single-transaction
//    --exit-on-error over the target itself (all or nothing).
// The migration advisory lock is held on the target throughout. Other sessions
// connected to the target are given session_wait to leave; those still there
// make it refuse, unless force, which terminates them and says so.
//
// The audit trail only grows: in swap and in-place modes the target's events
// (safe_migrate.events) that the backup does not hold are carried into the
// restored database before it takes the target's place.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/config.hpp"
#include "db/session.hpp"

namespace sm::backup {

enum class RestoreMode { swap, into, in_place };

struct RestoreRequest {
    std::filesystem::path backup_dir;
    Manifest manifest;
    RestoreMode mode = RestoreMode::swap;
    std::string into;      // the new database for RestoreMode::into
    std::string conninfo;  // the target (may hold a password; never recorded)
    std::string application_name;
    core::BackupSettings settings;   // pg_bin_dir, jobs, the catalog for the safety backup
    db::Session* control = nullptr;  // connected to the target; holds the lock
    std::vector<int> own_sessions;   // the caller's other sessions on the target (never "others")
    std::chrono::milliseconds lock_wait{60000};
    std::chrono::milliseconds session_wait{0};  // for other sessions to leave before refusing
    bool force = false;
    bool safety_backup = true;
    bool quiet = false;
};

struct RestoreResult {
    std::string database;                   // where the backup now lives
    std::string previous_database;          // swap: the old target's new name
    std::optional<std::string> safety_id;   // the pre-restore backup, when taken
    std::vector<std::string> terminated;    // sessions terminated by force
    std::vector<std::string> extra_tables;  // in place: tables the backup does not have
    int events_carried = 0;                 // the target's events added to the restored trail
    std::chrono::milliseconds took{0};
};

// Other client sessions on database, described ("pid 123 app 'web' user
// 'app' from 10.0.0.5"), excluding the caller's own sessions.
std::vector<std::string> other_sessions(db::Session& session, const std::string& database,
                                        const std::vector<int>& own_pids);

// Tables (outside the system schemas) in the session's database.
int user_table_count(db::Session& session);

// A session on the server's maintenance database (postgres, then template1),
// for CREATE/ALTER/DROP DATABASE. Throws sm::Error (db_unreachable) naming
// both when neither accepts a connection.
std::unique_ptr<db::Session> maintenance_session(const std::string& conninfo,
                                                 const std::string& application_name);

// Creates the empty database name on maintenance's server for a restore of m
// (m's encoding, the server's default collation and ctype, owned by the
// session's user). Throws DbError.
void create_empty_database(db::Session& maintenance, const std::string& name, const Manifest& m);

// Runs the restore. An encrypted backup is decrypted first (archive_crypt.hpp)
// with settings.encryption_key, every segment authenticated before anything is
// touched. Throws sm::Error: backup_failed when the key cannot open the backup,
// a segment fails authentication, pg_restore or the check fails (the target untouched in swap and
// into modes, rolled back in place), refused when sessions are still connected after session_wait
// without force (the target untouched, the caller's sessions still connected), interrupted on
// SIGINT. After a failed swap the target keeps its name and content.
RestoreResult restore_backup(const RestoreRequest& request);

}  // namespace sm::backup
