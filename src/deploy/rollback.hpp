#pragma once
// `rollback` as a library call: revert applied migrations of one target with
// their down files, newest first (a migration after those of them that
// require it):
//
//   connect (a control session and a migration session; refuse a standby)
//   take the migration lock
//   choose what to revert; refuse up front when a down file is missing, or
//     when an applied migration that stays requires a chosen one (requires=),
//     or (--only) a later applied migration touches what the chosen one created
//   on a protected environment: refuse unless --confirm names the database
//   show the lint findings of the down files (they never block: a down file
//     is destructive by design, and the operator chose to run it)
//   the backup gate: a verified pre-change backup on a protected environment
//   revert each in its own transaction, recording the run in the history's
//     events (rollback.started, rollback.failed or rollback.finished)
//   notify deploy.rolled_back when anything was reverted, deploy.failed when
//     a down file failed

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "deploy/request.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

struct RollbackRequest {
    const planner::Project* project = nullptr;  // config, migrations, down scripts
    core::Target target;
    core::ExecuteSettings settings;      // [execute] with the caller's lock wait
    std::optional<core::Version> to;     // revert every applied version newer than this; else:
    int steps = 1;                       // revert this many of the newest applied migrations
    std::optional<core::Version> only;   // revert this applied migration alone (--only)
    std::optional<std::string> confirm;  // the target's database name (protected environments)
    bool quiet_tools = false;            // pg_dump prints no progress
    Boundaries io;
};

// What a rollback tells its caller as it goes (either may be empty).
struct RollbackProgress {
    std::function<void(const std::string& id)> reverting;
    std::function<void(const std::string& id, std::chrono::milliseconds took)> reverted;
    // A lint finding of a chosen down file, one line ("error[ban-drop-table] f:1: ...").
    std::function<void(const std::string& line)> finding;
    // The pre-change backup was taken and verified.
    std::function<void(const backup::Manifest& manifest)> backup_verified;
};

struct RollbackResult {
    size_t chosen = 0;    // migrations that were to be reverted (0: nothing to roll back)
    size_t reverted = 0;  // of them, reverted
};

// Runs the rollback. Throws sm::Error: db_unreachable; refused (a standby, or
// a protected environment without --confirm naming the database: nothing was
// changed); backup_failed (the pre-change backup; nothing was reverted);
// lock_busy; invalid_input when a chosen migration has no down file ("cannot
// roll back: down file missing:" and each path; nothing was reverted), or
// when only names no applied migration; policy when an applied migration that
// stays requires a chosen one, or a later applied one touches a relation the
// only migration created (each named; nothing was reverted); and
// revert_migration's errors for a down file that fails (the ones before it
// stay reverted), interrupted under the caller's util::InterruptGuard.
RollbackResult rollback(const RollbackRequest& request, const RollbackProgress& progress);

}  // namespace sm::deploy
