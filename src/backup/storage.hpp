#pragma once
// Where catalog files live: the I/O boundary of a remote catalog. Keys are
// '/'-separated names relative to the storage's root ("<id>/manifest.json",
// "<id>/archive/3365.dat.gz"). Two implementations: a local directory
// (LocalStorage, what tests drive the remote catalog with) and S3
// (storage_s3.hpp). The catalog decides what the files mean; a storage only
// moves bytes.
//
// Every failure throws sm::Error (backup_failed) naming the object and the
// storage (never a credential or a signature).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace sm::backup {

struct StoredObject {
    std::string key;  // relative to the storage's root
    int64_t bytes = 0;
};

// What a download read: its size and lowercase hex SHA-256, computed while
// the bytes were written, so a corrupted object is caught without a second read.
struct Fetched {
    int64_t bytes = 0;
    std::string sha256;
};

class Storage {
  public:
    virtual ~Storage() = default;

    // Where the objects are, for messages ("s3://bucket/prefix", a directory).
    virtual std::string describe() const = 0;

    // Stores file under key, replacing any object there. Large files are sent
    // in parts with bounded memory; the call returns once the object is
    // confirmed complete.
    virtual void put_file(const std::string& key, const std::filesystem::path& file) = 0;

    // Stores text under key (manifests).
    virtual void put_text(const std::string& key, const std::string& text) = 0;

    // Writes the object key to dest (replacing it) and returns what was read.
    // A missing object throws naming it ("... not found").
    virtual Fetched get_file(const std::string& key, const std::filesystem::path& dest) = 0;

    // The object's text (manifests).
    virtual std::string get_text(const std::string& key) = 0;

    // Every object whose key starts with prefix, sorted by key.
    virtual std::vector<StoredObject> list(const std::string& prefix) = 0;

    // True when key exists.
    virtual bool exists(const std::string& key) = 0;

    // Deletes key (nothing when it is not there).
    virtual void remove(const std::string& key) = 0;

    // Keys under prefix with an unfinished multipart upload (begun, neither
    // completed nor aborted), sorted; empty where the storage has none or
    // cannot list them (s3rver, a role without s3:ListBucketMultipartUploads).
    virtual std::vector<std::string> unfinished_uploads(const std::string& prefix) = 0;

    // Aborts unfinished multipart uploads under prefix. Returns how many were
    // aborted; 0 where the storage has no such uploads or cannot list them.
    virtual int abort_uploads(const std::string& prefix) = 0;
};

// A directory as storage: keys are paths under root. Files are written to a
// temporary name and renamed, so a reader never sees half a file.
std::unique_ptr<Storage> make_local_storage(const std::filesystem::path& root);

// The storage [backup] names: S3 for storage = "s3" (credentials from the
// settings, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
// throws sm::Error (backup_failed) naming the variables when there are none),
// else the directory settings.dir.
std::unique_ptr<Storage> make_storage(const core::BackupSettings& settings);

}  // namespace sm::backup
