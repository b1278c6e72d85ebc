#pragma once
// safe-migrate reset as a library: a development database from scratch. Drops
// the schemas the project owns (planner/reset_scope.hpp), clears what the
// history says was applied, re-applies every migration and re-seeds, all under
// one hold of the migration lock:
//
//   refuse a protected environment; load the seeds and order them
//   connect; refuse a standby; lock; refuse a database recorded as protected,
//     or extensions in the schemas to drop that no migration creates
//   drop the schemas, recreate public and clear the history, in one transaction
//   re-apply every migration as execute applies it; run the environment's seeds
//
// Every step is recorded as an event (reset.started, reset.dropped,
// reset.finished, or reset.failed / reset.interrupted) in the append-only
// safe_migrate.events, which with protected_targets survives the reset.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

struct ResetRequest {
    const planner::Project* project = nullptr;  // config, migrations, parsed scripts
    core::Target target;
    std::string environment;                 // the development environment to reset
    std::optional<int> scale;                // seed scale; else the config's [seed] scale
    std::chrono::milliseconds lock_wait{0};  // how long to wait for the migration lock
    // Progress lines ("target: ...", "applying ...", "dropped schemas: ...");
    // may be empty.
    std::function<void(const std::string&)> progress;
};

struct ResetResult {
    std::vector<std::string> dropped_schemas;  // those that existed, by name
    size_t migrations_applied = 0;
    int seeds_run = 0;
};

// "12 migration(s) applied, 4 seed(s) run": the result in the words of the
// reset.finished event.
std::string reset_summary(const ResetResult& result);

// Throws sm::Error (refused, "Nothing was changed.") when project's
// environment is protected: reset never runs there, whatever it is asked.
// reset() checks it first; a caller may check it earlier, before its own
// questions (such as a missing confirmation).
void refuse_protected_environment(const planner::Project& project, const std::string& environment);

// Resets request.target. Throws sm::Error: refused (a protected environment,
// a target recorded as protected, foreign extensions), invalid_input (seed
// files, their dependencies), lock_busy, db_unreachable, interrupted or
// failure. Before the schemas are dropped, nothing was changed; after, the
// message says how far it got (how many migrations were re-applied, and where
// it stopped) and the hint what to do.
ResetResult reset(const ResetRequest& request);

}  // namespace sm::deploy
