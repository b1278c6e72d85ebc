#include "backup/catalog.hpp"

#include <algorithm>

#include "backup/remote_catalog.hpp"
#include "backup/storage.hpp"
#include "util/error.hpp"

namespace sm::backup {
namespace fs = std::filesystem;

Catalog read_catalog(const fs::path& root) {
    Catalog catalog;
    catalog.root = root;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return catalog;
    }
    for (const auto& entry : fs::directory_iterator(root)) {
        if (!entry.is_directory()) {
            continue;
        }
        std::string name = entry.path().filename().string();
        if (name.rfind(k_work_prefix, 0) == 0) {
            catalog.leftovers.push_back(entry.path());
            continue;
        }
        CatalogEntry e;
        e.dir = entry.path();
        try {
            e.manifest = read_manifest(entry.path());
            if (e.manifest->id != name) {
                e.problem = "manifest id " + e.manifest->id + " does not match its directory";
                e.manifest.reset();
            }
        } catch (const Error& err) {
            e.problem = err.what();
        }
        catalog.backups.push_back(std::move(e));
    }
    std::sort(catalog.backups.begin(), catalog.backups.end(),
              [](const CatalogEntry& a, const CatalogEntry& b) { return a.dir < b.dir; });
    std::sort(catalog.leftovers.begin(), catalog.leftovers.end());
    return catalog;
}

const CatalogEntry& find_backup(const Catalog& catalog, const std::string& id) {
    for (const auto& e : catalog.backups) {
        if (e.dir.filename() == id) {
            return e;
        }
    }
    std::string newest;
    for (size_t i = catalog.backups.size(), shown = 0; i > 0 && shown < 3; --i, ++shown) {
        newest += (shown == 0 ? "" : ", ") + catalog.backups[i - 1].dir.filename().string();
    }
    throw Error(ExitCode::invalid_input, "no backup " + id + " in " + catalog.root.string(),
                newest.empty()
                    ? "The catalog is empty; run 'safe-migrate backup create'."
                    : "Newest backups: " + newest + " (see 'safe-migrate backup list').");
}

KindFilter kind_filter(const std::string& name) {
    if (name != "any" && name != "logical" && name != "restore-point") {
        throw Error(ExitCode::usage,
                    "--kind must be any, logical or restore-point, not '" + name + "'");
    }
    return name == "logical"         ? KindFilter::logical
           : name == "restore-point" ? KindFilter::restore_point
                                     : KindFilter::any;
}

std::optional<CatalogEntry> latest_backup(const Catalog& catalog, const std::string& database,
                                          const std::string& system_identifier, KindFilter kinds) {
    const CatalogEntry* best = nullptr;
    for (const auto& e : catalog.backups) {
        bool point = e.manifest && e.manifest->kind == BackupKind::restore_point;
        if (!e.manifest || !e.manifest->usable() || e.manifest->kind == BackupKind::pre_restore ||
            (kinds == KindFilter::logical && point) ||
            (kinds == KindFilter::restore_point && !point) ||
            e.manifest->source.database != database ||
            e.manifest->source.system_identifier != system_identifier) {
            continue;
        }
        if (best == nullptr || e.manifest->finished() > best->manifest->finished()) {
            best = &e;
        }
    }
    return best ? std::optional<CatalogEntry>(*best) : std::nullopt;
}

const CatalogEntry& newest_usable(const Catalog& catalog) {
    const CatalogEntry* best = nullptr;
    for (const auto& e : catalog.backups) {
        if (e.manifest && e.manifest->usable() &&
            (best == nullptr || e.manifest->finished() > best->manifest->finished())) {
            best = &e;
        }
    }
    if (best == nullptr) {
        throw Error(ExitCode::invalid_input, "no complete backup in " + catalog.root.string(),
                    "Take one with 'safe-migrate backup create'.");
    }
    return *best;
}

void delete_backup(const Catalog& catalog, const std::string& id) {
    if (catalog.storage) {
        delete_remote_backup(catalog, id);
        return;
    }
    fs::remove_all(catalog.root / id);
}

}  // namespace sm::backup
