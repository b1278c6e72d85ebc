#pragma once
// What execute does when a run fails after it changed something: the failure
// policy (on_failure).
//
//   rollback  run the down files of this run's migrations, newest first (a
//             no-transaction migration that stopped midway first, by its own
//             down file). When a down file is missing or fails, restore the
//             pre-deploy backup instead if there is one and restore_fallback
//             allows it.
//   restore   restore the pre-deploy backup (swap: the database becomes the
//             backup; the failed one is kept as <db>_pre_restore_<stamp>; the
//             run's events are carried into it). Other sessions get [restore]
//             session_wait to leave (terminated when restore_terminates_sessions).
//             When the restore cannot run (no backup, sessions still there,
//             pg_restore failed) the target is untouched and the down files
//             undo the run instead, as rollback does.
//   stop      leave everything as it is.
//
// Whatever happens, the result says exactly what was undone and how, and what
// a person must still do; the database is left in a state `status` explains.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "deploy/events.hpp"
#include "deploy/request.hpp"
#include "executor/apply.hpp"
#include "notify/event.hpp"
#include "notify/notifier.hpp"

namespace sm::deploy {

struct FailedRun {
    std::vector<const core::Migration*> applied;  // by this run, in order
    const core::Migration* failed = nullptr;      // the one that failed, or null (between)
    std::optional<core::Version> start_head;      // the version the run started from
    std::optional<backup::Manifest> pre_deploy;   // the run's verified backup, if any
    std::string error;                            // the failure, one line, redacted
    notify::Notifier* notifier = nullptr;         // a restore sends restore.*; null: no events
    notify::EventTarget target;                   // the target as those events show it
};

struct Recovery {
    notify::EventRollback rollback;     // means, undone, complete, manual_action
    std::string summary;                // one paragraph for the error message
    std::optional<core::Version> head;  // the version the database is at now
    bool restored = false;              // the database was swapped for the backup
};

// Runs the failure policy. ctx's sessions are connected to the target and
// control holds the migration lock. A restore terminates both sessions;
// request.io.connect then opens a new control session, which is returned in
// control_after (otherwise it stays empty). Never throws for a failure of the
// recovery itself: that is reported in the result.
Recovery recover_failed_run(const Request& request, executor::RunContext& ctx, const FailedRun& run,
                            std::unique_ptr<db::Session>& migration_session,
                            std::unique_ptr<db::Session>& control_after);

// Tells the team what recovery undid (deploy.rolled_back, with failed's error
// and the runbook), or that it could not under a policy meant to undo (a
// manual action left). Returns whether anything was undone.
bool tell_rolled_back(DeployEvents& events, const Recovery& recovery, const notify::Event& failed,
                      core::FailurePolicy policy);

}  // namespace sm::deploy
