#include "deploy/backup_admin.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "backup/catalog.hpp"
#include "backup/remote_catalog.hpp"
#include "util/error.hpp"

namespace sm::deploy {

using nlohmann::json;

namespace {

PreRestorePruneResult drop_pre_restore(const PruneRequest& request) {
    PreRestorePruneRequest r;
    r.target = request.target;
    r.config = request.config;
    r.all = request.pre_restore_only;
    r.confirm = request.confirm;
    r.dry_run = request.dry_run;
    return prune_pre_restore(r);
}

}  // namespace

PruneOutcome prune_backups(const PruneRequest& request) {
    PruneOutcome out;
    out.dry_run = request.dry_run;
    if (request.pre_restore_only) {
        out.pre_restore = drop_pre_restore(request);
        return out;
    }
    // 1. The catalog: what the retention policy keeps, and the rest deleted.
    backup::Catalog catalog = backup::open_catalog(request.settings);
    backup::RetentionPolicy policy = backup::retention_policy(request.config.backup);
    out.catalog = true;
    out.retention_set = policy.keep_last || policy.keep_for;
    out.backups = backup::prune_decisions(catalog, policy, std::chrono::system_clock::now());
    for (const auto& d : out.backups) {
        if (!d.keep && !request.dry_run) {
            backup::delete_backup(catalog, d.id);
            ++out.deleted;
        }
    }
    // 2. The pre-restore databases older than keep_pre_restore.
    if (request.config.backup.keep_pre_restore) {
        out.pre_restore = drop_pre_restore(request);
    }
    return out;
}

backup::Manifest pin_backup(const core::BackupSettings& settings, const std::string& id,
                            bool pinned) {
    backup::Catalog catalog = backup::open_catalog(settings);
    const backup::CatalogEntry& entry = backup::find_backup(catalog, id);
    if (!entry.manifest) {
        throw Error(ExitCode::backup_failed, entry.problem);
    }
    backup::Manifest m = *entry.manifest;
    m.pinned = pinned;
    backup::write_manifest(entry.dir, m);
    backup::save_manifest(catalog, entry.dir);
    return m;
}

std::vector<std::string> prune_lines(const PruneOutcome& outcome) {
    std::vector<std::string> lines;
    for (const auto& d : outcome.backups) {
        lines.push_back(
            std::string(d.keep ? "keep   " : (outcome.dry_run ? "would delete " : "delete ")) +
            d.id + "  (" + d.reason + ")");
    }
    if (outcome.pre_restore) {
        for (const auto& d : outcome.pre_restore->decisions) {
            lines.push_back(
                std::string(!d.drop ? "keep   " : (outcome.dry_run ? "would drop " : "drop   ")) +
                "database " + d.name + "  (" + d.reason + ")");
        }
        if (outcome.pre_restore->decisions.empty()) {
            lines.push_back("no " + outcome.pre_restore->database + "_pre_restore_* databases");
        }
    }
    if (outcome.catalog && !outcome.retention_set) {
        lines.emplace_back(
            "no retention set ([backup] keep_last / keep_days): only failed backups go");
    }
    return lines;
}

std::string prune_json(const PruneOutcome& outcome) {
    json dbs;  // null when not looked at
    if (outcome.pre_restore) {
        dbs = json::array();
        for (const auto& d : outcome.pre_restore->decisions) {
            dbs.push_back({{"database", d.name}, {"drop", d.drop}, {"reason", d.reason}});
        }
    }
    json doc = {{"result", "ok"}, {"dry_run", outcome.dry_run}, {"pre_restore_databases", dbs}};
    if (outcome.catalog) {
        json decisions = json::array();
        for (const auto& d : outcome.backups) {
            decisions.push_back({{"id", d.id}, {"keep", d.keep}, {"reason", d.reason}});
        }
        doc["decisions"] = decisions;
        doc["deleted"] = outcome.deleted;
    }
    return doc.dump(2);
}

}  // namespace sm::deploy
