#pragma once
// Running and rolling back seeds against a target.
//
// Each seed runs in its own transaction with SET LOCAL lock_timeout and
// statement_timeout (from [execute]) and the custom settings
// safe_migrate.seed_scale and safe_migrate.seed_environment, which seed SQL reads
// with current_setting(); its row in safe_migrate.seeds is written in that same
// transaction. On a lock timeout the transaction is rolled back and run again
// after a backoff, up to lock_retries times, as a migration's is
// (db::run_transaction; each retry is logged and recorded as seed.retry).
// SIGINT/SIGTERM cancel the running statement and roll back.
//
// Callers hold the migration lock (db::AdvisoryLock) on control and have
// created the schema (db::ensure_history_schema).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "db/session.hpp"
#include "seed/seed_source.hpp"
#include "seed/seed_summary.hpp"

namespace sm::seed {

struct SeedContext {
    db::Session& session;  // runs the seeds' SQL
    db::Session& control;  // holds the lock; writes events
    std::string run_id;
    std::string actor;
    core::ExecuteSettings settings;  // timeouts, lock retries and their backoff
    std::string environment;
    bool is_protected = false;  // the environment is protected
    int scale = 1;
    std::function<void(const std::string&)> say;  // progress lines
    SeedRunSummary* summary = nullptr;            // run_seeds adds what ran to it (not its time)
};

// Throws sm::Error (refused) when the target is recorded as protected
// (protected_target.hpp) and ctx's environment is not protected: a development
// command pointed at a protected database by mistake.
void refuse_recorded_protected(SeedContext& ctx, const std::string& command);

// Runs the seeds of ctx.environment that are not applied yet, and the changed
// re-runnable ones, in dependency order; returns how many ran. Refuses before
// running anything: changed seeds that are not re-runnable (drift), and on a
// protected environment any seed to run that is not marked protected-ok
// (refused). A failing seed throws sm::Error (failure) naming file:line; the
// seeds before it stay applied. With ctx.summary, adds the seeds that ran and
// the rows their INSERTs inserted per table (of committed attempts only).
int run_seeds(SeedContext& ctx, const SeedSet& set);

// Runs seed's rollback file and forgets the seed, in one transaction. Refuses
// (invalid_input) when it has no rollback file or another applied seed requires
// it, and (refused) when it was applied to another environment than
// ctx.environment, or on a protected environment unless it is marked protected-ok.
void rollback_seed(SeedContext& ctx, const SeedSet& set, const std::string& id);

// Rolls back every applied seed of ctx.environment, dependents first. Refuses
// up front, rolling back nothing, when one has no rollback file or its file is
// gone. Returns how many were rolled back.
int clear_seeds(SeedContext& ctx, const SeedSet& set);

}  // namespace sm::seed
