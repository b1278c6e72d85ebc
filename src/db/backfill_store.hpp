#pragma once
// Where phase=backfill migrations stand, in safe_migrate.backfill: one row per
// backfill, written by its runner (the last key and the rows done in the
// same transaction as each batch) and read or flagged by `safe-migrate
// backfill status | pause | resume` from another session.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/version.hpp"
#include "db/session.hpp"

namespace sm::db {

struct BackfillRow {
    core::Version version = 0;
    std::string name;
    std::string change;
    std::string table;  // "public.accounts"
    std::string checksum;
    std::vector<std::string> last_key;  // empty: no batch committed yet
    int64_t rows_done = 0;              // rows the statement changed
    int64_t keys_done = 0;              // keys of the table covered
    int64_t keys_total = 0;             // the table's rows when it started (estimate)
    int64_t batches = 0;
    int batch_size = 0;
    double rows_per_second = 0;
    std::string state;  // "running", "paused", "done"
    bool pause_requested = false;
    std::string paused_reason;  // why it is paused, "" when it is not
    std::string started_at;     // ISO 8601 UTC
    std::string updated_at;
    std::string finished_at;  // "" until done
};

// Creates safe_migrate.backfill when missing (the schema exists: the caller
// ran db::ensure_history_schema). Throws DbError.
void ensure_backfill_table(Session& session);

// Every backfill row, newest version first; empty when the table does not exist.
std::vector<BackfillRow> read_backfills(Session& session);

// The row of version, if any. Throws DbError.
std::optional<BackfillRow> read_backfill(Session& session, const core::Version& version);

// Starts (or restarts from scratch) the row of version: no key, nothing done.
void start_backfill(Session& session, const BackfillRow& row);

// Sets state ("running", "paused", "done") and the reason it is paused, and
// the batch size and rate last seen.
void set_backfill_state(Session& session, const core::Version& version, const std::string& state,
                        const std::string& paused_reason, int batch_size, double rows_per_second);

// Asks the runner of version (every unfinished backfill when version is not
// given) to pause or go on between batches. Returns the rows flagged.
std::vector<BackfillRow> request_pause(Session& session,
                                       const std::optional<core::Version>& version, bool pause);

// True when someone asked the runner of version to pause.
bool pause_requested(Session& session, const core::Version& version);

}  // namespace sm::db
