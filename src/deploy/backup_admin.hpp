#pragma once
// `backup prune` and `backup pin | unpin` as library calls, with the text and
// JSON they report: the catalog's retention (backup/retention.hpp) applied,
// and the target's pre-restore databases (deploy/pre_restore.hpp) dropped.

#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "backup/retention.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "deploy/pre_restore.hpp"

namespace sm::deploy {

struct PruneRequest {
    core::Config config;            // [backup] retention and keep_pre_restore, application_name
    core::BackupSettings settings;  // the catalog (config.backup with the caller's --backup-dir)
    core::Target target;            // whose pre-restore databases
    bool pre_restore_only = false;  // --pre-restore: every pre-restore database, no catalog
    std::optional<std::string> confirm;  // the target's database name (pre_restore_only)
    bool dry_run = false;                // decide, delete nothing
};

struct PruneOutcome {
    bool dry_run = false;
    bool catalog = false;        // the catalog was pruned (not --pre-restore)
    bool retention_set = false;  // keep_last or keep_days is set
    std::vector<backup::RetentionDecision> backups;
    int deleted = 0;
    std::optional<PreRestorePruneResult>
        pre_restore;  // looked at (keep_pre_restore or --pre-restore)
};

// Without pre_restore_only: deletes the backups the retention policy drops (a
// remote catalog's objects included), then, when [backup] keep_pre_restore is
// set, the target's pre-restore databases older than it. With it: every one of
// the target's pre-restore databases (prune_pre_restore's refusals apply).
// Throws sm::Error as backup::open_catalog, delete_backup and prune_pre_restore do.
PruneOutcome prune_backups(const PruneRequest& request);

// Marks backup id pinned (prune keeps it) or not, in its manifest (a remote
// catalog's too). Returns the manifest written. Throws sm::Error: not_found for
// an unknown id, backup_failed when its manifest cannot be read.
backup::Manifest pin_backup(const core::BackupSettings& settings, const std::string& id,
                            bool pinned);

// What prune reports: a line per decision ("delete ID  (reason)"), and JSON
// {"result": "ok", "dry_run", "decisions", "deleted", "pre_restore_databases"}
// ("decisions" and "deleted" only when the catalog was pruned).
std::vector<std::string> prune_lines(const PruneOutcome& outcome);
std::string prune_json(const PruneOutcome& outcome);

}  // namespace sm::deploy
