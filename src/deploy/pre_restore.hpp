#pragma once
// The target's <db>_pre_restore_* databases (backup/pre_restore.hpp) for
// `backup list` and `backup prune`: found and dropped from the server's
// maintenance database.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backup/pre_restore.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"

namespace sm::deploy {

struct PreRestoreListing {
    std::string database;  // the target's database
    std::vector<backup::PreRestoreDatabase> databases;
};

// The target's pre-restore databases. Throws sm::Error (db_unreachable) when
// neither the target nor a maintenance database accepts a connection.
PreRestoreListing list_pre_restore(const core::Target& target, const core::Config& config);

// backup list's view of them: not looked for when no target is named (libpq
// defaults; a list needs no database then), else the databases, or the error
// that kept them from being listed (not fatal: the catalog is listed all the same).
struct PreRestoreShown {
    bool looked = false;
    std::optional<std::string> error;
    std::vector<backup::PreRestoreDatabase> databases;
};
PreRestoreShown show_pre_restore(const core::Target& target, const core::Config& config);

// How long ago a restore kept d, in whole minutes (util::format_duration).
std::string pre_restore_age(const backup::PreRestoreDatabase& d);

struct PreRestorePruneRequest {
    core::Target target;
    core::Config config;                 // [backup] keep_pre_restore, application_name
    bool all = false;                    // --pre-restore: every one of the target's
    std::optional<std::string> confirm;  // the target's database name; required with all
    bool dry_run = false;
};

struct PreRestorePruneResult {
    std::string database;
    std::vector<backup::PreRestoreDecision> decisions;
    std::vector<std::string> dropped;
};

// Drops the pre-restore databases decide_pre_restore picks. Throws sm::Error:
// refused when all is set and confirm does not name the target's database
// (nothing dropped); db_unreachable; failure naming the databases that could
// not be dropped (someone connected) after dropping the others.
PreRestorePruneResult prune_pre_restore(const PreRestorePruneRequest& request);

}  // namespace sm::deploy
