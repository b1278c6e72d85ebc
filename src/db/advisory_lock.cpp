#include "db/advisory_lock.hpp"

#include "core/log.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace sm::db {
namespace {

const std::string& lock_key() {
    static const std::string key = std::to_string(k_migration_lock_key);
    return key;
}

bool try_lock(Session& session) {
    return session.exec_params("SELECT pg_try_advisory_lock($1::bigint)", {lock_key()}).scalar() ==
           "t";
}

}  // namespace

std::string LockHolder::describe() const {
    return "pid " + std::to_string(pid) + " (application '" + application_name + "', client " +
           client + ", since " + since + ", " + state + ")";
}

std::optional<LockHolder> find_lock_holder(Session& session) {
    auto r = session.exec_params(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local "
        "socket'), "
        "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "coalesce(a.state, '') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid "
        "AND l.objsubid = 1 AND a.pid <> pg_backend_pid() LIMIT 1",
        {lock_key()});
    if (r.empty()) {
        return std::nullopt;
    }
    const auto& row = r.rows[0];
    return LockHolder{std::stoi(*row[0]), row[1].value_or(""), row[2].value_or(""),
                      row[3].value_or(""), row[4].value_or("")};
}

AdvisoryLock::AdvisoryLock(Session& session, std::chrono::milliseconds wait) : m_session(session) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    bool told = false;
    while (!try_lock(session)) {
        auto holder = find_lock_holder(session);
        if (std::chrono::steady_clock::now() >= deadline) {
            throw Error(
                ExitCode::lock_busy,
                "another run holds the migration lock: " +
                    (holder ? holder->describe() : std::string("holder not visible")),
                "Wait for it to finish, or raise --lock-wait. If that session is stuck, see "
                "runbooks/stuck-advisory-lock.md.");
        }
        if (!told) {
            core::log_info("waiting up to " + std::to_string(wait.count() / 1000) +
                           "s for the migration lock held by " +
                           (holder ? holder->describe() : std::string("another session")));
            told = true;
        }
        if (!util::interruptible_sleep(std::chrono::milliseconds(250))) {
            throw Error(ExitCode::interrupted, "interrupted while waiting for the migration lock");
        }
    }
}

AdvisoryLock::~AdvisoryLock() {
    try {
        m_session.exec_params("SELECT pg_advisory_unlock($1::bigint)", {lock_key()});
    } catch (...) {
        // The session may be gone; its end released the lock.
    }
}

}  // namespace sm::db
