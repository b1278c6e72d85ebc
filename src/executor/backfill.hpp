#pragma once
// The backfill runner: a phase=backfill migration's one statement
// (core::BackfillStatement) applied in batches over key ranges of its table's
// primary key (keyset pagination: each batch starts after the last key of
// the one before, never OFFSET; composite keys compare as rows).
//
// Each batch is its own short transaction, one round trip, under lock_timeout
// and statement_timeout (db::run_transaction_batch, with the lock retries of
// [execute]); the same statement stores the batch's last key and counts in
// safe_migrate.backfill (db/backfill_store.hpp), so a run killed at any moment
// (kill -9, Ctrl-C) resumes after the last committed batch and never applies
// a batch twice. The batch size adapts toward [backfill] batch_time; after
// each batch the runner sleeps sleep_ratio times the batch's duration.
//
// Between batches it pauses (and says why) while: `safe-migrate backfill
// pause` asked it to; a replica replays further behind than max_replica_lag,
// or the lag cannot be read (a role without pg_monitor: the GRANT that fixes
// it is named); other sessions wait for locks on the table; check_sql does
// not return true.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"
#include "executor/apply.hpp"

namespace sm::executor {

struct BackfillProgress {
    std::string id;  // "2_fill_email"
    int64_t rows_done = 0;
    int64_t keys_done = 0;
    int64_t keys_total = 0;      // estimate, taken when the backfill started
    double rows_per_second = 0;  // over this run
    std::optional<std::chrono::milliseconds> eta;
    int batch_size = 0;
    std::string paused;  // why it is paused; "" while it runs
    bool done = false;

    // "backfill 2_fill_email: 12000 rows, 40% of 30000 keys, 5200 rows/s, ETA 3s,
    // batch 1000" and, when paused, "; paused: <why>".
    std::string describe() const;
};

// Told after each batch and whenever the runner pauses or goes on.
using BackfillObserver = std::function<void(const BackfillProgress&)>;

// Runs migration's backfill (up.backfill must be set) to its end and records
// it applied (history row and event migration.applied). Returns the time it
// took in this run. Throws sm::Error: invalid_input (the table has no primary
// key, or check_sql fails), drift (an unfinished backfill's file changed),
// lock_busy (lock timeouts outlasted the retries), interrupted (the batches
// committed so far stay, and a re-run continues after them), failure.
std::chrono::milliseconds run_backfill(RunContext& ctx, const core::Migration& migration,
                                       const core::Script& up,
                                       const core::BackfillSettings& settings,
                                       const BackfillObserver& observe);

}  // namespace sm::executor
