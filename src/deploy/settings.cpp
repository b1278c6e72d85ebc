#include "deploy/settings.hpp"

#include "util/error.hpp"

namespace sm::deploy {
namespace {

// 0 means no limit, as everywhere.
std::optional<std::chrono::milliseconds> limit(std::optional<std::chrono::milliseconds> given,
                                               std::optional<std::chrono::milliseconds> config) {
    auto value = given ? given : config;
    if (value && value->count() == 0) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

core::ExecuteSettings resolve_settings(const core::Config& config, const Overrides& o,
                                       const BackupPolicy& backup) {
    core::ExecuteSettings s = config.execute;
    s.lock_wait = o.lock_wait.value_or(s.lock_wait);
    s.lock_timeout = o.lock_timeout.value_or(s.lock_timeout);
    s.lock_retries = o.lock_retries.value_or(s.lock_retries);
    s.allow_out_of_order = s.allow_out_of_order || o.allow_out_of_order;
    s.on_failure = o.on_failure.value_or(s.on_failure);
    s.wait_for_blockers = o.wait_for_blockers.value_or(s.wait_for_blockers);
    s.blocker_age = o.blocker_age.value_or(s.blocker_age);
    s.max_replica_lag = limit(o.max_replica_lag, s.max_replica_lag);
    s.max_duration = limit(o.max_duration, s.max_duration);
    if (o.terminate_blockers) {
        // On a protected environment only its config may allow terminating sessions.
        if (config.is_protected() && !s.terminate_blockers) {
            throw Error(ExitCode::refused,
                        "--terminate-blockers is not allowed on protected environment " +
                            config.environment.value_or(""),
                        "Set terminate_blockers = true in [environments." +
                            config.environment.value_or("") +
                            ".execute] if this environment's policy allows it.");
        }
        s.terminate_blockers = true;
    }
    bool backed_up = backup.choice == BackupChoice::always ||
                     (backup.choice == BackupChoice::when_protected && config.is_protected());
    if (s.on_failure == core::FailurePolicy::restore && !backed_up) {
        throw Error(ExitCode::usage, "on_failure = restore needs a pre-deploy backup: add --backup",
                    "Or choose --on-failure rollback (down files) or stop.");
    }
    return s;
}

}  // namespace sm::deploy
