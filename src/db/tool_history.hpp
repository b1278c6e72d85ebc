#pragma once
// The history tables other migration tools keep in the target, read as each
// tool defines "applied", for `adopt` (deploy/adopt.hpp):
//
//   flyway          flyway_schema_history: type SQL rows with success = true
//                   (a later successful UNDO_SQL row undoes one), by version
//                   (dotted ones included); a BASELINE row: every version up
//                   to its own
//   dbmate          schema_migrations(version): every row
//   golang-migrate  schema_migrations(version, dirty): its one row means every
//                   migration up to that version
//   goose           goose_db_version: the latest row per version_id, when
//                   is_applied (version 0 is goose's own first row)
//   diesel          __diesel_schema_migrations(version, run_on): every row
//   prisma          _prisma_migrations: rows with finished_at set and
//                   rolled_back_at null, by the digits of migration_name
//
// Tables are found on the session's search_path, where each tool creates them
// by default.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "db/history.hpp"
#include "db/session.hpp"

namespace sm::db {

struct ToolHistory {
    std::string table;                   // "schema_migrations"
    std::vector<core::Version> applied;  // ascending; golang-migrate: its one version
    bool up_to = false;                  // golang-migrate: every version <= applied.back()
    // What stops an adopt, as found: dirty or failed rows, versions that are
    // not integers, a table with another tool's columns.
    std::vector<std::string> refusals;
    // flyway: a BASELINE row's version; every version up to it counts as
    // applied (flyway skips them), with or without a file here.
    std::optional<core::Version> baseline;
};

// The tool's history table name ("flyway_schema_history").
const char* tool_history_table(core::Layout tool);

// Reads tool's history, or std::nullopt when its table does not exist.
// Throws DbError.
std::optional<ToolHistory> read_tool_history(Session& session, core::Layout tool);

// The tool whose history table the session's database holds, if any (the
// first found, in the order of core::Layout). Never throws: std::nullopt when
// the question cannot be asked.
std::optional<core::Layout> find_tool_history(Session& session) noexcept;

// Inserts rows into safe_migrate.history and event into safe_migrate.events
// in one transaction: all of them, or (on failure) none. Throws DbError.
void record_adopted(Session& session, const std::vector<AppliedMigration>& rows,
                    const Event& event);

}  // namespace sm::db
