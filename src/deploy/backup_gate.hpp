#pragma once
// The backup gate: on a protected environment, or when the backup policy says
// always, a pre-deploy backup must complete and verify before the first
// migration runs. A skip is recorded with its reason (event backup.skipped).

#include <optional>
#include <string>

#include "backup/manifest.hpp"
#include "deploy/reporter.hpp"
#include "deploy/request.hpp"

namespace sm::deploy {

// True when the run takes a pre-deploy backup under policy.
bool backup_required(const BackupPolicy& policy, const core::Config& config);

// Takes and verifies the backup when required, holding the migration lock the
// caller already holds on control. Returns its manifest, or std::nullopt when
// none was required (or it was skipped). Throws sm::Error: backup_failed when
// the backup or its verification fails (nothing was applied).
std::optional<backup::Manifest> backup_gate(const Request& request, db::Session& control,
                                            const std::string& run_id, Reporter& reporter);

}  // namespace sm::deploy
