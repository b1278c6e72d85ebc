#pragma once
// A backup's archive encrypted at rest: the manifest-level side of
// segment_cipher.hpp. With [backup] encryption_key set, create encrypts every
// archive file in place before the manifest is written, the manifest records
// the cipher and the key's fingerprint (never the key) and the checksums of
// the stored (encrypted) bytes, so checksums verify without the key; verify
// and restore need the key and authenticate every segment.
//
// pg_restore reads a directory archive's files by seeking, and restores in
// parallel only from regular files, so a restore decrypts into a private
// directory (mode 0700) beside the backup: every segment is authenticated
// before pg_restore starts, and the directory is removed when the restore
// ends, however it ends (only a process killed with SIGKILL leaves it, as a
// .tmp-decrypt-* leftover that `backup list` shows; so does a killed backup's
// work directory, which holds pg_dump's output before it is encrypted).

#include <filesystem>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/config.hpp"

namespace sm::backup {

// Throws sm::Error (backup_failed) when a key is configured through a ${VAR}
// that is not set: a backup is never stored unencrypted by mistake.
void require_create_key(const core::EncryptionKey& key);

// Encrypts every file named in m.files inside work, each replaced by its
// encrypted form, on jobs threads (0: one per core); m.files get the stored
// sizes and checksums, m.total_bytes their sum, and m the cipher and key
// fingerprint. A no-op without a key. Throws sm::Error (backup_failed); files
// not yet encrypted are left for the caller to remove.
void encrypt_archive(const std::filesystem::path& work, const core::EncryptionKey& key, int jobs,
                     Manifest& m);

// Throws sm::Error (backup_failed) unless key opens m's backup: no key
// configured, a key whose variable is unset, or a key with another
// fingerprint. Nothing for an unencrypted backup.
void require_backup_key(const Manifest& m, const core::EncryptionKey& key);

// Authenticates every segment of every file of m present in dir; one problem
// per file that fails ("archive/toc.dat: segment 2 failed authentication ...").
std::vector<std::string> check_archive_segments(const std::filesystem::path& dir, const Manifest& m,
                                                const core::EncryptionKey& key);

// The decrypted archive of an encrypted backup, in a private directory beside
// backup_dir that lives as long as this object.
class PlainArchive {
  public:
    // Decrypts every file of m (require_backup_key first). Throws sm::Error
    // (backup_failed) naming the file and segment that fails authentication,
    // after removing everything decrypted so far.
    PlainArchive(const std::filesystem::path& backup_dir, const Manifest& m,
                 const core::EncryptionKey& key, int jobs);
    ~PlainArchive();
    PlainArchive(const PlainArchive&) = delete;
    PlainArchive& operator=(const PlainArchive&) = delete;

    // The directory that holds the files under their manifest names.
    const std::filesystem::path& dir() const { return m_dir; }

  private:
    std::filesystem::path m_dir;
};

}  // namespace sm::backup
