#pragma once
// Which backups `backup prune` deletes. A pure decision over manifests, so it
// is tested without a disk or a database.
//
// Rules, per source (same database name and system identifier):
//  - Only usable backups (complete or verified) count toward keep_last; failed
//    ones never do.
//  - A usable backup is kept when it is among the keep_last newest usable ones,
//    or younger than keep_days, or pinned, or the newest verified one (that one
//    is never deleted, whatever the policy says).
//  - Failed backups are deleted unless pinned.
//  - With neither keep_last nor keep_days set nothing usable is deleted.
//  - "Newest" is by the finish time in the manifest, never by id or mtime.
//  - A remote backup with no manifest (incomplete) is deleted once its id's
//    start time is older than keep_incomplete; a younger one may be an upload
//    still running on another machine and is kept, as is one whose id has no
//    start time (not safe-migrate's to delete).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/manifest.hpp"
#include "core/config.hpp"

namespace sm::backup {

struct RetentionPolicy {
    std::optional<int> keep_last;
    std::optional<std::chrono::hours> keep_for;  // keep_days * 24h
    std::chrono::milliseconds keep_incomplete{24LL * 3600 * 1000};
};

struct RetentionDecision {
    std::string id;
    bool keep = true;
    std::string reason;  // "among the 3 newest", "pinned", "newest verified", "failed", "older than
                         // 7 days and not among the 3 newest"
};

// One decision per manifest, in the order given.
std::vector<RetentionDecision> decide_retention(const std::vector<Manifest>& backups,
                                                const RetentionPolicy& policy,
                                                std::chrono::system_clock::time_point now);

// The policy [backup] sets: keep_last, keep_days as hours, keep_incomplete.
RetentionPolicy retention_policy(const core::BackupSettings& settings);

// decide_retention over the catalog's backups whose manifest could be read,
// in catalog order; unreadable directories get no decision (nothing deletes
// them). Incomplete remote backups (files, no manifest) follow, to be deleted.
std::vector<RetentionDecision> prune_decisions(const Catalog& catalog,
                                               const RetentionPolicy& policy,
                                               std::chrono::system_clock::time_point now);

}  // namespace sm::backup
