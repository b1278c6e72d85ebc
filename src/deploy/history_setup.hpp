#pragma once
// The history schema of a run, under the migration lock: brought up to date
// on the control session, or, on first use, made by the migration session
// while the run goes on (there is nothing to read yet). Then the target is
// remembered when its environment is protected (reset and seed clear refuse it).

#include "core/config.hpp"
#include "db/session.hpp"

namespace sm::deploy {

class HistorySetup {
  public:
    // Call with the lock held. The sessions and config must outlive it (or at
    // least its settle()). Throws sm::Error when the schema cannot be made.
    HistorySetup(db::Session& control, db::Session& migration, const core::Config& config);
    // A run that stops before settle() still waits for the schema (quietly) and
    // remembers a protected target: declare it after the lock, so that this
    // happens before the lock is released.
    ~HistorySetup();
    HistorySetup(const HistorySetup&) = delete;
    HistorySetup& operator=(const HistorySetup&) = delete;

    // First use: nothing to read, and nothing may be recorded before settle().
    bool first_use() const { return m_first_use; }
    // Waits for the schema on first use, then remembers a protected target.
    // Once; later calls do nothing. Throws sm::Error when the schema failed.
    void settle();

  private:
    db::Session& m_control;
    db::Session& m_migration;
    const core::Config& m_config;
    bool m_first_use = false;
    bool m_settled = false;
};

}  // namespace sm::deploy
