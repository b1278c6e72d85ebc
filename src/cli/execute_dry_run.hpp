#pragma once
// execute --dry-run: everything a run would do before its first change, and
// nothing that changes the target. It plans (lint under the policy, locks,
// table sizes), runs the preflight once without waiting (the migration lock,
// replicas, blocking sessions) and says whether a pre-deploy backup would be
// taken and about how big it is. The history schema is not created and no
// lock is taken.
//
// Exit code: 0 when the run would proceed now; otherwise the code the run
// would stop with (policy, lock_busy, refused, drift, usage).

#include "cli/options.hpp"
#include "cli/project.hpp"
#include "executor/apply.hpp"

namespace sm::cli {

int dry_run_execute(const GlobalOptions& options, const ExecuteArgs& args, const Project& project,
                    executor::RunContext& ctx);

}  // namespace sm::cli
