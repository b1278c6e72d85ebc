#include "deploy/events.hpp"

#include <utility>

#include "db/history.hpp"
#include "db/target_info.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

namespace sm::deploy {

DeployEvents::DeployEvents(notify::Notifier& notifier, db::Session& control,
                           std::optional<core::Version> from, const std::vector<Step>& steps)
    : m_notifier(notifier),
      m_target(notify::event_target(db::read_identity(control))),
      m_from(std::move(from)),
      m_steps(steps),
      m_started_at(util::format_utc(std::chrono::system_clock::now(), true)) {}

notify::Event DeployEvents::make(const std::string& type, const std::string& status) const {
    notify::Event e = fill(type, status);
    for (const auto& step : m_steps) {
        e.migrations.push_back(step.migration->id());
        e.version_to = step.migration->version;
    }
    return e;
}

void DeployEvents::send_applied(const core::Migration& m, std::chrono::milliseconds took) {
    if (!m_notifier.wants("migration.applied")) {
        return;
    }
    notify::Event e = fill("migration.applied", "applied");
    e.migrations = {m.id()};
    e.version_to = m.version;
    e.duration_ms = took.count();
    send(e);
}

notify::Event DeployEvents::fill(const std::string& type, const std::string& status) const {
    notify::Event e = m_notifier.event(type, status);
    e.target = m_target;
    e.version_from = m_from;
    if (m_backup) {
        e.backup = notify::EventBackup{m_backup->id, m_backup->total_bytes,
                                       m_backup->state == backup::BackupState::verified};
    }
    if (m_override) {
        e.policy_override = notify::EventPolicyOverride{m_override->policy, m_override->findings,
                                                        m_override->reason};
    }
    e.started_at = m_started_at;
    e.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - m_started)
                        .count();
    return e;
}

bool DeployEvents::send(const notify::Event& e) {
    return !notify::Notifier::required_failed(m_notifier.send(e));
}

void record_run_finished(db::Session& control, const std::string& run_id, size_t applied,
                         std::chrono::milliseconds took) {
    db::Event finished{
        run_id, "run.finished", std::nullopt,
        std::to_string(applied) + " migration(s) applied in " + util::format_duration(took)};
    try {
        db::record_event_durably(control, finished);
    } catch (const db::DbError& e) {
        throw Error(e.connection_lost() ? ExitCode::db_unreachable : ExitCode::failure,
                    "cannot confirm that the " + std::to_string(applied) +
                        " migration(s) applied by this run are on disk: " + e.what(),
                    "Run 'safe-migrate status' to see what is recorded.");
    }
}

}  // namespace sm::deploy
