#pragma once
// Where the target stands relative to the migration files. A pure function of
// the files and the history rows; no database access.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/migration_source.hpp"
#include "db/history.hpp"
#include "util/error.hpp"

namespace sm::executor {

enum class MigrationState {
    applied,       // in history, file present, checksum matches
    pending,       // file present, not applied, newer than everything applied
    out_of_order,  // file present, not applied, but older than the newest applied
    changed,       // applied, but the file's checksum differs from the recorded one
    missing,       // applied, but its file is gone
    partial,       // a no-transaction migration that started and did not finish
};

const char* state_name(MigrationState state);

// True for the states execute applies (or resumes): pending, out-of-order, partial.
bool to_apply(MigrationState state);

struct StatusEntry {
    core::Version version;
    std::string name;
    MigrationState state = MigrationState::pending;
    std::string applied_at;
    std::string recorded_checksum;  // from history (or progress)
    std::string file_checksum;      // of the file on disk now
    std::string detail;             // e.g. "3 of 5 statements done; failed: ..."
};

struct StatusReport {
    std::vector<StatusEntry> entries;   // ordered by version
    std::optional<core::Version> head;  // newest applied version
    int applied = 0, pending = 0, out_of_order = 0, changed = 0, missing = 0, partial = 0;

    bool has_drift() const { return changed > 0 || missing > 0 || partial > 0; }
    bool has_pending() const { return pending > 0 || out_of_order > 0; }
    // status's exit code: drift first, then pending, else ok.
    ExitCode exit_code() const {
        return has_drift() ? ExitCode::drift : has_pending() ? ExitCode::pending : ExitCode::ok;
    }
};

StatusReport compute_status(const core::MigrationSet& files,
                            const std::vector<db::AppliedMigration>& applied,
                            const std::vector<db::PartialMigration>& partial);

}  // namespace sm::executor
