#pragma once
// The catalog wherever [backup] storage puts it. "local": the directory
// (catalog.hpp, unchanged). "s3": a Storage holding <id>/<file> for every file
// of a backup and <id>/manifest.json, uploaded last, after every file's upload
// was confirmed. Objects under an id with no manifest are an incomplete backup:
// listed as such, never chosen, removed by prune.
//
// The tools (pg_dump, pg_restore, verify) work on local directories: a remote
// backup is taken into a local directory and uploaded, and downloaded into one
// (checking every file's size and SHA-256 against the manifest as it arrives)
// before it is verified or restored. Local copies live in [backup] cache_dir,
// else in a private temporary directory (mode 0700) removed when the process
// exits; never in the working directory.

#include <filesystem>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/create.hpp"
#include "backup/manifest.hpp"
#include "backup/storage.hpp"
#include "backup/verify.hpp"
#include "core/config.hpp"

namespace sm::backup {

// Where backup id's files are on this machine: settings.dir/<id> for a local
// catalog; the local copy of a remote one.
std::filesystem::path local_backup_dir(const core::BackupSettings& settings, const std::string& id);

// Where backup id is, for messages: its directory, or "s3://bucket/prefix/<id>".
std::string backup_location(const core::BackupSettings& settings, const std::string& id);

// The catalog settings name. Local: read_catalog(settings.dir). Remote: every
// manifest is read (and kept in its local copy's directory, which becomes the
// entry's dir), ids without one are entries marked incomplete, and root is the
// storage's name. Throws sm::Error (backup_failed) when the storage fails.
Catalog open_catalog(const core::BackupSettings& settings);

// Takes a backup (create_backup) into the catalog request.settings names; for
// a remote one, into the local copy's directory, then uploads it (files, then
// the manifest). Throws create_backup's errors, and sm::Error (backup_failed)
// naming the object when an upload fails (no manifest is written then).
Manifest take_backup(const CreateRequest& request);

// Uploads the backup in dir: every file of m, then its manifest.
void upload_backup(Storage& storage, const std::filesystem::path& dir, const Manifest& m);

// Downloads m's files from storage into dir, each checked against the
// manifest as it arrives. Returns the problems, each naming the object
// ("s3://b/p/<id>/archive/3365.dat.gz: wrong checksum (...)"); empty when
// every file matches.
std::vector<std::string> download_backup(Storage& storage, const std::filesystem::path& dir,
                                         const Manifest& m);

// verify_backup for the entry of catalog: a remote backup is downloaded first
// (download problems are the result's problems, the local checks skipped).
VerifyResult verify_in_catalog(const Catalog& catalog, const CatalogEntry& entry, bool full,
                               const std::optional<std::filesystem::path>& pg_bin_dir,
                               const core::EncryptionKey& key);

// delete_backup for a remote catalog: the manifest first (so an interrupted
// delete leaves an incomplete backup, never a broken complete one), then the
// other objects, unfinished multipart uploads and the local copy.
void delete_remote_backup(const Catalog& catalog, const std::string& id);

// After the manifest in dir changed (verification, pin): stores it in the
// remote catalog (nothing more for a local one).
void save_manifest(const Catalog& catalog, const std::filesystem::path& dir);

// What a deploy or a restore uses: verify backup m of the catalog settings
// names in dir (a remote one is downloaded into dir first), record the result
// in its manifest (saved remotely too) and return the problems.
std::vector<std::string> verify_and_record(const core::BackupSettings& settings,
                                           const std::filesystem::path& dir, Manifest& m);

}  // namespace sm::backup
