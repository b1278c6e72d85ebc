#pragma once
// The run's settings, resolved once: the config's [execute] (with the selected
// environment's overrides) and then what the caller overrides (flags). The
// result is the only copy of the settings a run uses.

#include <chrono>
#include <optional>

#include "core/config.hpp"
#include "deploy/request.hpp"

namespace sm::deploy {

// Values given for this run, already parsed. For max_replica_lag and
// max_duration a zero duration means "no limit".
struct Overrides {
    std::optional<std::chrono::milliseconds> lock_wait;
    std::optional<std::chrono::milliseconds> lock_timeout;
    std::optional<int> lock_retries;
    bool allow_out_of_order = false;
    std::optional<core::FailurePolicy> on_failure;
    std::optional<std::chrono::milliseconds> wait_for_blockers;
    std::optional<std::chrono::milliseconds> blocker_age;
    bool terminate_blockers = false;
    std::optional<std::chrono::milliseconds> max_replica_lag;
    std::optional<std::chrono::milliseconds> max_duration;
};

// config.execute with overrides applied. Throws sm::Error: refused for
// terminate_blockers on a protected environment whose config does not allow
// it; usage for on_failure = restore when the backup policy takes no
// pre-deploy backup.
core::ExecuteSettings resolve_settings(const core::Config& config, const Overrides& overrides,
                                       const BackupPolicy& backup);

}  // namespace sm::deploy
