#pragma once
// The migration lock: a session-level advisory lock held on a dedicated
// connection that runs no migration SQL. It dies with its session (a killed
// runner never leaves it stuck), and because that connection holds no open
// transaction, CREATE INDEX CONCURRENTLY on the migration connection cannot
// deadlock against it.

#include <chrono>
#include <optional>
#include <string>

#include "db/session.hpp"

namespace sm::db {

// The lock's key, the same for every safe-migrate command in a database
// (execute, rollback, and later backup and restore).
inline constexpr int64_t k_migration_lock_key = 0x736d6967726174;  // "smigrat"

struct LockHolder {
    int pid = 0;
    std::string application_name;
    std::string client;  // address, or "local socket"
    std::string since;   // when the holder's session started (UTC)
    std::string state;

    std::string describe()
        const;  // "pid 123 (application 'safe-migrate', client 10.0.0.5, since ...)"
};

// Who holds the migration lock, if anyone (as far as pg_stat_activity shows).
std::optional<LockHolder> find_lock_holder(Session& session);

class AdvisoryLock {
  public:
    // Takes the lock on session, waiting up to wait for another holder. Logs
    // the holder once while waiting. Throws sm::Error (lock_busy) naming the
    // holder when the wait runs out, or (interrupted) on SIGINT/SIGTERM.
    AdvisoryLock(Session& session, std::chrono::milliseconds wait);
    // Releases the lock (best effort; closing the session releases it too).
    ~AdvisoryLock();
    AdvisoryLock(const AdvisoryLock&) = delete;
    AdvisoryLock& operator=(const AdvisoryLock&) = delete;

  private:
    Session& m_session;
};

}  // namespace sm::db
