#pragma once
// A backup's manifest: everything known about one backup, written last and
// atomically, with a checksum over its own body. A backup directory without a
// valid manifest is garbage by definition.
//
// Never holds credentials: the source is host/port/db/system identifier, and
// pg_dump's argv is recorded after redaction (passwords travel through a
// passfile or the environment, never argv).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backup/pg_tools.hpp"
#include "core/version.hpp"

namespace sm::backup {

inline constexpr const char* k_manifest_name = "manifest.json";
inline constexpr int k_manifest_format = 1;

enum class BackupState { running, complete, verified, failed };
// restore_point: a named point in the WAL that pgBackRest archives, not a
// dump (Manifest::restore_point says where; backup/restore_point.hpp).
enum class BackupKind { manual, pre_deploy, pre_restore, restore_point };

const char* state_name(BackupState s);
const char* kind_name(BackupKind k);

struct BackupFile {
    std::string name;  // relative to the backup directory, '/'-separated
    int64_t bytes = 0;
    std::string sha256;  // lowercase hex
};

struct SourceIdentity {
    std::string host;
    std::string port;
    std::string database;
    std::string system_identifier;
    int server_version = 0;  // server_version_num
    std::string encoding;
};

struct TableRows {
    std::string table;  // "schema.name"
    int64_t rows = 0;   // exact count in the dump's snapshot
};

struct Verification {
    std::string at;   // UTC
    std::string how;  // "checksums", "full-read", "restore"
    bool ok = false;
    std::string detail;
};

// Where a restore point is: pg_create_restore_point's name and LSN, the
// pgBackRest stanza whose archive holds the WAL, and the base backup before it.
struct RestorePointInfo {
    std::string name;  // "safe-migrate-<run id>"
    std::string lsn;   // "0/4016070"
    std::string stanza;
    std::string base_backup;  // pgBackRest's label of the newest full/diff backup before it
};

struct Manifest {
    int format = k_manifest_format;
    std::string id;  // "20261121T231500Z-pre-deploy": sorts by time
    BackupKind kind = BackupKind::manual;
    BackupState state = BackupState::running;
    std::string label;
    std::string run_id;
    std::string started_at;   // UTC, "2026-11-21T23:15:00.123Z"
    std::string finished_at;  // UTC; empty while running
    int64_t duration_ms = 0;
    std::string created_by;  // user@host
    SourceIdentity source;
    std::optional<core::Version> migration_head;  // newest applied version at backup time
    std::string archive_format;                   // "directory" or "custom"
    std::string archive;                          // "archive" (directory) or "archive.dump"
    std::string tool_version;                     // safe-migrate's
    std::string pg_dump_version;
    std::vector<std::string> pg_dump_argv;  // redacted
    std::vector<BackupFile> files;          // as stored: encrypted bytes when encrypted
    int64_t total_bytes = 0;
    // Encryption at rest (segment_cipher.hpp); written only when encrypted.
    std::string cipher;  // "aes-256-gcm"; empty: the files are pg_dump's own
    int64_t cipher_segment_bytes = 0;
    std::string key_fingerprint;  // key_fingerprint() of the key, never the key
    ArchiveHeader header;
    std::vector<TableRows> tables;
    std::vector<Verification> verifications;  // oldest first
    bool pinned = false;
    std::string error;                              // why it failed (redacted), for failed backups
    std::optional<RestorePointInfo> restore_point;  // with kind restore_point

    // finished_at as a time point (epoch when empty or unparsable).
    std::chrono::system_clock::time_point finished() const;
    // Complete or verified: usable for a restore.
    bool usable() const { return state == BackupState::complete || state == BackupState::verified; }
    bool encrypted() const { return !cipher.empty(); }
};

// The manifest as JSON text with "manifest_sha256" over the body (the document
// without that key, serialized canonically).
std::string manifest_to_text(const Manifest& m);

// Parses manifest text. Throws sm::Error (backup_failed) naming path and the
// key when a field is missing or of the wrong type, or when the checksum does
// not match the body ("manifest checksum mismatch").
Manifest parse_manifest(const std::string& text, const std::filesystem::path& path);

// Reads backup_dir/manifest.json (parse_manifest's errors apply).
Manifest read_manifest(const std::filesystem::path& backup_dir);

// Writes backup_dir/manifest.json atomically (temporary name, fsync, rename,
// fsync of the directory).
void write_manifest(const std::filesystem::path& backup_dir, const Manifest& m);

// A new id: UTC time of now to the second plus "-" and the label or kind, made
// safe for a file name ("20261121T231500Z-pre-deploy").
std::string new_backup_id(std::chrono::system_clock::time_point now, const std::string& suffix);

}  // namespace sm::backup
