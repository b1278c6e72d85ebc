#pragma once
// Checking a backup before anyone relies on it.
//
// Quick (always): the manifest's checksum and state, its id against its
// directory, every file present with its recorded size and SHA-256 (missing,
// wrong size and wrong checksum reported separately, by file name), no
// unrecorded files, and `pg_restore --list` agreeing with the recorded header.
// Full: also reads the whole archive (`pg_restore --file=/dev/null`), which
// decompresses every table's data.
// Encrypted (archive_crypt.hpp): the checksums are of the stored bytes; the
// key must open the backup, and every segment of every file is authenticated
// (the archive decrypted into a private directory for pg_restore).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/config.hpp"

namespace sm::backup {

struct VerifyResult {
    std::string id;
    bool ok = false;
    std::string how;                    // "checksums" or "full-read"
    std::vector<std::string> problems;  // "archive/3365.dat.gz: wrong size (...)"
};

// Verifies the backup in dir against manifest m. pg_bin_dir and server_major
// choose pg_restore (see find_pg_tool); key opens an encrypted backup. Does
// not modify anything. Throws sm::Error (backup_failed) before checking
// anything when m is encrypted and key cannot open it (require_backup_key):
// a missing or wrong key says nothing about the backup.
VerifyResult verify_backup(const std::filesystem::path& dir, const Manifest& m, bool full,
                           const std::optional<std::filesystem::path>& pg_bin_dir,
                           const core::EncryptionKey& key);

// Records the result in the manifest: a verification entry; state verified
// when it passed, failed (with the problems as error) when the archive's
// integrity is broken. Rewrites the manifest atomically.
void record_verification(const std::filesystem::path& dir, Manifest& m, const VerifyResult& r);

}  // namespace sm::backup
