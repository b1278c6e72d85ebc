#include "backup/remote_catalog.hpp"

#include <map>

#include "backup/step_timings.hpp"
#include "core/log.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

bool is_remote(const core::BackupSettings& settings) {
    return settings.storage == "s3";
}

// This process's private directory for local copies of remote backups.
const fs::path& remote_staging_root() {
    static util::TempDir staging("safe-migrate-backups-");
    return staging.path();
}

fs::path local_copies_root(const core::BackupSettings& settings) {
    return settings.cache_dir ? *settings.cache_dir : remote_staging_root();
}

std::string manifest_key(const std::string& id) {
    return id + "/" + k_manifest_name;
}

// The entry of one remote id: its manifest read (and kept in dir), or why not.
CatalogEntry remote_entry(Storage& storage, const std::string& id, bool has_manifest,
                          size_t objects, const fs::path& dir) {
    CatalogEntry e;
    e.dir = dir;
    if (!has_manifest) {
        e.incomplete = true;
        e.problem = "incomplete: " + std::to_string(objects) +
                    " object(s) and no manifest (an upload that did not finish)";
        return e;
    }
    std::string name = storage.describe() + "/" + manifest_key(id);
    std::string text = storage.get_text(manifest_key(id));  // a storage failure is the command's
    try {
        e.manifest = parse_manifest(text, name);
    } catch (const Error& err) {
        e.problem = err.what();
        return e;
    }
    if (e.manifest->id != id) {
        e.problem = "manifest id " + e.manifest->id + " does not match its prefix " + id;
        e.manifest.reset();
        return e;
    }
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    util::write_file_atomic(dir / k_manifest_name, text);
    return e;
}

}  // namespace

fs::path local_backup_dir(const core::BackupSettings& settings, const std::string& id) {
    return is_remote(settings) ? local_copies_root(settings) / id : settings.dir / id;
}

std::string backup_location(const core::BackupSettings& settings, const std::string& id) {
    if (!is_remote(settings)) {
        return (settings.dir / id).string();
    }
    const core::S3Settings& s = settings.s3;
    return "s3://" + s.bucket + "/" + (s.prefix.empty() ? "" : s.prefix + "/") + id;
}

Catalog open_catalog(const core::BackupSettings& settings) {
    if (!is_remote(settings)) {
        return read_catalog(settings.dir);
    }
    Catalog catalog;
    catalog.storage = make_storage(settings);
    catalog.root = catalog.storage->describe();
    // Every object, grouped by id (the first key component).
    std::map<std::string, std::pair<bool, size_t>> ids;
    for (const auto& o : catalog.storage->list("")) {
        size_t slash = o.key.find('/');
        if (slash == std::string::npos || slash == 0) {
            continue;  // not a backup's object
        }
        auto& [has_manifest, objects] = ids[o.key.substr(0, slash)];
        has_manifest = has_manifest || o.key.substr(slash + 1) == k_manifest_name;
        ++objects;
    }
    // An upload killed during its first file left no object, only an
    // unfinished multipart upload: incomplete too, so that prune aborts it.
    for (const auto& key : catalog.storage->unfinished_uploads("")) {
        size_t slash = key.find('/');
        if (slash != std::string::npos && slash > 0) {
            ids[key.substr(0, slash)];
        }
    }
    for (const auto& [id, seen] : ids) {
        catalog.backups.push_back(remote_entry(*catalog.storage, id, seen.first, seen.second,
                                               local_backup_dir(settings, id)));
    }
    return catalog;
}

void upload_backup(Storage& storage, const fs::path& dir, const Manifest& m) {
    StepTimings timings;
    for (const auto& f : m.files) {
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted,
                        "backup " + m.id + " interrupted while uploading; it has no manifest in " +
                            storage.describe() + " and is never chosen");
        }
        storage.put_file(m.id + "/" + f.name, dir / f.name);
    }
    timings.lap("upload");
    // Written last: only now is the backup complete.
    storage.put_text(manifest_key(m.id), util::read_file(dir / k_manifest_name));
    timings.lap("manifest");
    timings.log("backup " + m.id + " upload");
}

Manifest take_backup(const CreateRequest& request) {
    if (!is_remote(request.settings)) {
        return create_backup(request);
    }
    std::unique_ptr<Storage> storage = make_storage(request.settings);
    CreateRequest local = request;
    local.settings.dir = local_copies_root(request.settings);
    // The ids the remote catalog holds are taken: create_backup picks an id
    // unused in its directory, so each gets a placeholder there. Listing first
    // also proves the credentials before a long dump.
    for (const auto& o : storage->list("")) {
        size_t slash = o.key.find('/');
        if (slash != std::string::npos && slash > 0) {
            fs::create_directories(local.settings.dir / o.key.substr(0, slash));
        }
    }
    Manifest m = create_backup(local);
    try {
        upload_backup(*storage, local.settings.dir / m.id, m);
    } catch (const Error& e) {
        throw Error(e.code() == ExitCode::interrupted ? e.code() : ExitCode::backup_failed,
                    "backup " + m.id + " was taken but not stored: " + e.what(),
                    e.hint().empty() ? "It has no manifest in " + storage->describe() +
                                           ", so it is never chosen; 'safe-migrate backup "
                                           "prune' removes what was uploaded."
                                     : e.hint());
    }
    core::log_info("backup " + m.id + " stored in " + storage->describe());
    return m;
}

std::vector<std::string> download_backup(Storage& storage, const fs::path& dir, const Manifest& m) {
    std::vector<std::string> problems;
    for (const auto& f : m.files) {
        std::string key = m.id + "/" + f.name;
        std::string name = storage.describe() + "/" + key;
        Fetched got;
        try {
            got = storage.get_file(key, dir / f.name);
        } catch (const Error& e) {
            if (std::string(e.what()).find("not found") == std::string::npos) {
                throw;
            }
            problems.push_back(name + ": missing");
            continue;
        }
        if (got.bytes != f.bytes) {
            problems.push_back(name + ": wrong size (" + std::to_string(got.bytes) +
                               " bytes, the manifest recorded " + std::to_string(f.bytes) + ")");
        } else if (got.sha256 != f.sha256) {
            problems.push_back(name + ": wrong checksum (contents changed)");
        }
    }
    return problems;
}

VerifyResult verify_in_catalog(const Catalog& catalog, const CatalogEntry& entry, bool full,
                               const std::optional<fs::path>& pg_bin_dir,
                               const core::EncryptionKey& key) {
    const Manifest& m = *entry.manifest;
    if (catalog.storage && m.usable()) {
        VerifyResult r;
        r.id = m.id;
        r.how = full ? "full-read" : "checksums";
        r.problems = download_backup(*catalog.storage, entry.dir, m);
        if (!r.problems.empty()) {
            return r;
        }
    }
    return verify_backup(entry.dir, m, full, pg_bin_dir, key);
}

void delete_remote_backup(const Catalog& catalog, const std::string& id) {
    Storage& storage = *catalog.storage;
    storage.remove(manifest_key(id));
    for (const auto& o : storage.list(id + "/")) {
        storage.remove(o.key);
    }
    storage.abort_uploads(id + "/");
    for (const auto& e : catalog.backups) {
        if (e.dir.filename() == id) {
            std::error_code ignored;
            fs::remove_all(e.dir, ignored);
        }
    }
}

void save_manifest(const Catalog& catalog, const fs::path& dir) {
    if (catalog.storage) {
        catalog.storage->put_text(manifest_key(dir.filename().string()),
                                  util::read_file(dir / k_manifest_name));
    }
}

std::vector<std::string> verify_and_record(const core::BackupSettings& settings,
                                           const fs::path& dir, Manifest& m) {
    VerifyResult r;
    StepTimings timings;
    fs::create_directories(dir);
    Catalog catalog;
    if (is_remote(settings)) {
        catalog.storage = make_storage(settings);
        r.id = m.id;
        r.how = "checksums";
        r.problems = download_backup(*catalog.storage, dir, m);
        timings.lap("download");
    }
    if (r.problems.empty()) {
        r = verify_backup(dir, m, false, settings.pg_bin_dir, settings.encryption_key);
        timings.lap("verify");
    }
    record_verification(dir, m, r);
    save_manifest(catalog, dir);
    timings.lap("manifest");
    timings.log("backup " + m.id + " verify");
    return r.problems;
}

}  // namespace sm::backup
