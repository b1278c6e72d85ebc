#pragma once
// The deployment pipeline: one production-safe run of a project's pending
// migrations against one target, in these steps:
//
//   connect (a control session and a migration session; refuse a standby)
//   lock (the migration advisory lock), create the history schema on first use
//   read where the target stands; refuse drift; choose the steps; hold them to a plan
//   policy gate (lint the steps under the policy with the target's context:
//     errors stop the run, exit 4, unless --override-policy with a reason;
//     with a plan, its verdict is the gate)
//   preflight (replica lag, sessions that would block the run's tables)
//   backup gate (a verified pre-deploy backup when required)
//   notify started; apply each step (its own preflight, the time limit); record
//   notify the result; on failure: notify, recover under on_failure, notify again
//
// A dry run walks the same steps up to the backup gate and changes nothing:
// where the real run would stop (the lock is held, the policy blocks the plan
// or an override is refused, a replica lags, a session blocks) it records the reason and walks on,
// then reports the plan and its verdict.

#include "deploy/reporter.hpp"
#include "deploy/request.hpp"

namespace sm::deploy {

// Runs request. Returns the exit code: 0 when the run succeeded (or a dry run
// would proceed), else a dry run's verdict (util/error.hpp codes). Throws
// sm::Error for a run that stopped; its message says what was undone.
int run(Request request, Reporter& reporter);

}  // namespace sm::deploy
