#pragma once
// Phases of online changes (-- safe-migrate: phase=expand|backfill|contract,
// change=NAME): which pending migrations a run applies, and when a contract
// migration must wait.
//
// execute --through P applies pending migrations in version order and stops
// before the first pending migration whose phase is later than P (expand <
// backfill < contract); that one and every pending migration after it are
// left for a later run. Plain execute means --through backfill.

#include <string>
#include <vector>

#include "core/migration_source.hpp"
#include "db/session.hpp"
#include "deploy/steps.hpp"
#include "executor/backfill.hpp"
#include "executor/status.hpp"

namespace sm::deploy {

// The steps a run applies under through, and the pending migrations it leaves.
struct PhaseCut {
    std::vector<Step> steps;
    std::vector<const core::Migration*> held;
};

// Cuts steps (in order) before the first whose phase is later than through. Pure.
PhaseCut cut_at_phase(const std::vector<Step>& steps, core::Phase through);

// "3_drop_old (contract)", one per held migration. Pure.
std::vector<std::string> describe_held(const std::vector<const core::Migration*>& held);

// What a run says about what it left: "" when nothing; else "left for a later
// phase: 3_drop_old (contract); apply with: safe-migrate execute --through contract". Pure.
std::string held_line(const std::vector<std::string>& held);

// Why a contract migration cannot be applied now, and what to do about it.
struct ContractRefusal {
    std::string reason;  // "" when every contract step may run
    std::string hint;
};

// Why the contract migrations among steps (from index first on) cannot be
// applied now, or an empty reason when they can: a phase=backfill migration of the same
// change that is not applied and not applied earlier in steps (unfinished),
// or, when old_app_pattern is set, sessions whose application_name matches it
// (named). Reads the target through session; throws sm::Error (invalid_input)
// when old_app_pattern is not a valid regular expression.
ContractRefusal contract_refusal(const std::vector<Step>& steps, size_t first,
                                 const executor::StatusReport& report,
                                 const core::MigrationSet& migrations, db::Session& session,
                                 const std::string& old_app_pattern);

// contract_refusal for steps[index] alone, with the steps before it applied:
// the check a run repeats right before each contract step, since a backfill
// earlier in the run may have taken long enough for the old application to
// connect. An empty reason for a step that is not phase=contract. Same errors.
ContractRefusal contract_step_refusal(const std::vector<Step>& steps, size_t index,
                                      const executor::StatusReport& report,
                                      const core::MigrationSet& migrations, db::Session& session,
                                      const std::string& old_app_pattern);

// Logs a backfill's progress (core::log_info, stderr): every 2s on a terminal,
// else every heartbeat; at once when it pauses or goes on, and at its end.
executor::BackfillObserver backfill_progress_printer(std::chrono::milliseconds heartbeat);

}  // namespace sm::deploy
