#pragma once
// `adopt --from TOOL`: take over a database another migration tool has been
// running. Reads the tool's history (db/tool_history.hpp), and records the
// migrations it applied in safe_migrate's history with the local files'
// checksums, in one transaction with an `adopt` event, changing nothing else.
// Afterwards status shows them applied and execute applies only the rest.

#include <cstdint>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "core/layout.hpp"
#include "db/history.hpp"
#include "db/tool_history.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

// What adopt does with the project's migrations. Pointers into the MigrationSet.
struct AdoptChoice {
    std::vector<const core::Migration*> record;   // applied by the tool, recorded now
    std::vector<const core::Migration*> already;  // applied by the tool, recorded before
    std::vector<const core::Migration*> pending;  // newer than the tool's head: execute's
    std::optional<core::Version> head;            // the tool's newest applied version
};

// Chooses, without a database. Throws sm::Error: invalid_input when the
// tool's history has refusals (dirty or failed rows...) or names versions that
// have no local file, listing them; drift when local files older than the
// tool's newest applied version are absent from its history (out of order),
// listing them.
AdoptChoice choose_adopted(const core::MigrationSet& files, const db::ToolHistory& history,
                           const std::vector<db::AppliedMigration>& recorded, core::Layout tool);

struct AdoptRequest {
    const planner::Project* project = nullptr;
    core::Target target;
    core::Layout tool = core::Layout::dbmate;
    bool dry_run = false;  // read and choose; take no lock, write nothing
};

struct AdoptResult {
    std::string table;  // the tool's history table
    AdoptChoice choice;
};

// Connects, takes the migration lock (unless dry_run), reads both histories,
// chooses, and records. Throws sm::Error: what choose_adopted throws;
// invalid_input when the tool's table does not exist; db_unreachable, refused
// (a standby), lock_busy; failure when recording fails (nothing recorded).
AdoptResult adopt(const AdoptRequest& request);

// For a migration that failed with error: when its SQLSTATE says an object
// already exists (duplicate table, column, object, function or schema: the
// code, not the text, which the server may write in another language) and
// the session's database holds another tool's history table, the hint to run
// `safe-migrate adopt --from TOOL`; otherwise "". Never throws.
std::string adopt_hint(db::Session& session, const std::string& error) noexcept;

}  // namespace sm::deploy
