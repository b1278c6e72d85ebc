#pragma once
// Where a target stands against the seed files. Pure; no I/O.

#include <optional>
#include <string>
#include <vector>

#include "seed/seed_history.hpp"
#include "seed/seed_source.hpp"
#include "util/error.hpp"

namespace sm::seed {

enum class SeedState {
    pending,  // not applied
    applied,  // applied, file unchanged
    rerun,    // applied, file changed, re-runnable: seed run runs it again
    changed,  // applied, file changed, not re-runnable: seed run refuses
    missing,  // recorded, but no such seed file any more
};

const char* state_name(SeedState state);

struct SeedEntry {
    std::string id;
    SeedState state = SeedState::pending;
    const Seed* seed = nullptr;  // null when missing
    std::optional<AppliedSeed> applied;
};

struct SeedReport {
    std::vector<SeedEntry> entries;  // ordered seeds first, in run order, then missing ones

    int count(SeedState state) const;
    bool has_drift() const { return count(SeedState::changed) + count(SeedState::missing) > 0; }
    bool has_pending() const { return count(SeedState::pending) + count(SeedState::rerun) > 0; }
    // seed status's exit code: drift (changed or missing) first, then pending, else ok.
    ExitCode exit_code() const {
        return has_drift() ? ExitCode::drift : has_pending() ? ExitCode::pending : ExitCode::ok;
    }
};

// What seed status says of an entry beside its state: what a pending seed
// requires, why a changed one re-runs or not, how often an applied one ran;
// empty when there is nothing to add.
std::string entry_detail(const SeedEntry& entry);

// Compares ordered (the seeds in scope, in run order) with what the target
// recorded. Recorded seeds with no file in set are reported as missing; those
// whose file exists but is out of scope (another environment) are left out.
SeedReport compute_seed_status(const SeedSet& set, const std::vector<const Seed*>& ordered,
                               const std::vector<AppliedSeed>& applied);

}  // namespace sm::seed
