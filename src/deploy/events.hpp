#pragma once
// A deployment's notifications, each filled with what the run knows so far:
// the target, the version it started from, the migrations it means to apply,
// the pre-deploy backup, a policy override, when it started and how long it
// has taken.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "db/session.hpp"
#include "deploy/reporter.hpp"
#include "deploy/steps.hpp"
#include "notify/notifier.hpp"

namespace sm::deploy {

class DeployEvents {
  public:
    // Reads the target's identity on control. steps must outlive this object.
    DeployEvents(notify::Notifier& notifier, db::Session& control,
                 std::optional<core::Version> from, const std::vector<Step>& steps);

    void set_backup(const std::optional<backup::Manifest>& m) { m_backup = m; }
    // Every later event says the run went past the policy gate, and why.
    void set_policy_override(const std::optional<PolicyOverridden>& o) { m_override = o; }

    // When the run started (durations count from it; default: construction).
    void set_started(std::chrono::steady_clock::time_point t) { m_started = t; }
    const notify::EventTarget& target() const { return m_target; }

    // A fresh event of type with status, and everything known so far.
    notify::Event make(const std::string& type, const std::string& status) const;
    // Sends event migration.applied for m, applied in took, when an endpoint
    // wants it (it is opt-in: most runs build none): the run's event with m as
    // its only migration and version_to (not the whole run's list, which would
    // make each of a run's N migration events cost O(N)). Never throws.
    void send_applied(const core::Migration& m, std::chrono::milliseconds took);

    // Sends e; false when a required endpoint did not take it. Never throws.
    bool send(const notify::Event& e);

  private:
    // An event of type with status and what every event carries (no migrations).
    notify::Event fill(const std::string& type, const std::string& status) const;

    notify::Notifier& m_notifier;
    notify::EventTarget m_target;
    std::optional<core::Version> m_from;
    const std::vector<Step>& m_steps;
    std::optional<backup::Manifest> m_backup;
    std::optional<PolicyOverridden> m_override;
    std::string m_started_at;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

// Records event run.finished ("N migration(s) applied in T") on control with a
// synchronous commit: once it is on disk, so is every migration the run applied
// (they committed asynchronously before it). Throws sm::Error (db_unreachable
// when the connection is lost, else failure) saying how many are unconfirmed.
void record_run_finished(db::Session& control, const std::string& run_id, size_t applied,
                         std::chrono::milliseconds took);

}  // namespace sm::deploy
