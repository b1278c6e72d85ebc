#pragma once
// execute's backup gate: on a protected environment, or with --backup, a
// pre-deploy backup must complete and verify before the first migration runs.
// --skip-backup --reason "..." skips it and records why (event backup.skipped).

#include <optional>
#include <string>

#include "backup/manifest.hpp"
#include "cli/options.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "executor/session.hpp"

namespace sm::cli {

// Takes and verifies the backup when required, holding the migration lock the
// caller already holds on control. Returns its manifest, or std::nullopt when
// none was required (or it was skipped). Throws sm::Error: usage for
// --skip-backup without --reason or with --backup; backup_failed when the
// backup or its verification fails (nothing was applied).
std::optional<backup::Manifest> backup_gate(const GlobalOptions& options, const ExecuteArgs& args,
                                            const core::Config& config, const core::Target& target,
                                            executor::Session& control, const std::string& run_id);

}  // namespace sm::cli
