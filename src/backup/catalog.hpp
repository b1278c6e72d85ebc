#pragma once
// The backup catalog: one directory per backup under the catalog root
// (backups/<id>/ holding the archive and manifest.json).
//
// A backup is built in root/.tmp-<id>/ and renamed into place only when its
// manifest is written, so a visible backup always has one. Work directories
// left by a killed process are listed as leftovers, never as backups.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"

namespace sm::backup {

inline constexpr const char* k_work_prefix = ".tmp-";

class Storage;

struct CatalogEntry {
    std::filesystem::path dir;
    std::optional<Manifest> manifest;  // absent when unreadable or missing
    std::string problem;               // why the manifest could not be used
    bool incomplete = false;           // remote: files with no manifest (an unfinished upload)
};

struct Catalog {
    std::filesystem::path root;         // remote: the storage's name ("s3://bucket/prefix")
    std::shared_ptr<Storage> storage;   // set for a remote catalog (remote_catalog.hpp)
    std::vector<CatalogEntry> backups;  // by id (oldest first)
    std::vector<std::filesystem::path> leftovers;  // work directories of unfinished runs
};

// Reads every backup directory's manifest. A missing root is an empty catalog.
Catalog read_catalog(const std::filesystem::path& root);

// The backup with this id. Throws sm::Error (invalid_input) naming the id and
// the catalog, with the newest ids as a hint, when there is none.
const CatalogEntry& find_backup(const Catalog& catalog, const std::string& id);

// The newest usable (complete or verified) backup of this source: same
// database name and system identifier, ordered by the finish time in the
// manifest, never by directory names or mtimes. Safety backups taken before a
// restore (kind pre-restore) hold the state being replaced and are only
// restored by id. std::nullopt when none.
// kinds narrows the choice: logical (pg_dump backups) or restore points.
enum class KindFilter { any, logical, restore_point };
// "any", "logical" or "restore-point". Throws sm::Error (usage) naming --kind otherwise.
KindFilter kind_filter(const std::string& name);
std::optional<CatalogEntry> latest_backup(const Catalog& catalog, const std::string& database,
                                          const std::string& system_identifier,
                                          KindFilter kinds = KindFilter::any);

// The newest usable backup of any source, by the finish time in its manifest
// (what `backup verify --latest` checks). Throws sm::Error (invalid_input)
// naming the catalog when it holds none.
const CatalogEntry& newest_usable(const Catalog& catalog);

// Deletes the backup id's directory with everything in it (nothing when it
// is not there); in a remote catalog its manifest first, then its objects and
// unfinished uploads, and the local copy. Throws std::filesystem::filesystem_error
// (sm::Error for a remote catalog) when it cannot.
void delete_backup(const Catalog& catalog, const std::string& id);

}  // namespace sm::backup
