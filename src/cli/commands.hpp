#pragma once
// One function per command. Each returns the process exit code, or throws
// sm::Error (which app.cpp prints and maps to its exit code).

#include "cli/options.hpp"

namespace sm::cli {

int run_status(const GlobalOptions& options);
int run_execute(const GlobalOptions& options, const ExecuteArgs& args);
int run_rollback(const GlobalOptions& options, const RollbackArgs& args);
int run_lint(const GlobalOptions& options, const LintArgs& args);
int run_plan(const GlobalOptions& options, const PlanArgs& args);
int run_backup(const GlobalOptions& options, const BackupArgs& args);
int run_restore(const GlobalOptions& options, const RestoreArgs& args);
int run_notify(const GlobalOptions& options, const NotifyArgs& args);
int run_seed(const GlobalOptions& options, const SeedArgs& args);
int run_reset(const GlobalOptions& options, const ResetArgs& args);
int run_sandbox(const GlobalOptions& options, const SandboxArgs& args);
int run_validate(const GlobalOptions& options, const ValidateArgs& args);
int run_schema(const GlobalOptions& options, const SchemaArgs& args);

}  // namespace sm::cli
