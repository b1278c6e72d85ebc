#pragma once
// safe-migrate seed as a library: running, rolling back and clearing an
// environment's seeds against a target (seed/seed_run.hpp), and reading where
// the target stands against the seed files.
//
// A change runs in these steps: load the seed files (bad files stop here,
// before connecting); refuse seed clear on a protected environment; connect;
// refuse a standby; take the migration lock; create the history schema on
// first use; record a protected target; refuse a target recorded as protected
// from a development environment; then run, roll back or clear.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "seed/seed_source.hpp"
#include "seed/seed_status.hpp"
#include "seed/seed_summary.hpp"

namespace sm::deploy {

enum class SeedAction { run, rollback, clear };

// "run", "rollback", "clear".
const char* seed_action_name(SeedAction action);

struct SeedRequest {
    const core::Config* config = nullptr;  // its environment is the one seeded
    core::Target target;
    SeedAction action = SeedAction::run;
    std::string id;                          // rollback: the seed
    std::optional<int> scale;                // run: else the config's [seed] scale
    std::chrono::milliseconds lock_wait{0};  // how long to wait for the migration lock
    // Progress lines ("seeding 010_users", "  done in 12ms"); may be empty.
    std::function<void(const std::string&)> progress;
    // run: when set, filled with the seeds that ran, the rows inserted per
    // table, the environment, the scale and the whole command's time.
    seed::SeedRunSummary* summary = nullptr;
};

// Runs request.action: run returns how many seeds ran, rollback 1, clear how
// many seeds were rolled back. Throws sm::Error: refused (seed clear on a
// protected environment, a target recorded as protected, seeds a protected
// environment may not run), invalid_input (seed files, dependencies, rollback
// files), drift (changed seeds that are not re-runnable), lock_busy,
// db_unreachable, interrupted or failure (naming the file and line; each seed
// is its own transaction, so the seeds before it stay as they were).
int change_seeds(const SeedRequest& request);

// Where a target stands against the seed files; reads only (no lock, no schema).
struct SeedStatus {
    std::string target;                        // display form, no password
    std::unique_ptr<const seed::SeedSet> set;  // the files; report's entries point into it
    seed::SeedReport report;
};

// Compares the seeds of config's environment (every seed when it names none)
// with what the target recorded. Throws sm::Error: invalid_input (seed files,
// dependencies), db_unreachable.
SeedStatus read_seed_status(const core::Config& config, const core::Target& target);

}  // namespace sm::deploy
