#include "executor/retry_watch.hpp"

#include "core/log.hpp"
#include "db/history.hpp"
#include "db/transaction.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

using std::chrono::milliseconds;

WatchSettings watch_settings(const RunContext& ctx, milliseconds lock_timeout, bool to_deadline) {
    WatchSettings s;
    s.heartbeat = ctx.settings.heartbeat;
    s.poll = poll_for(lock_timeout);
    if (to_deadline) {
        s.deadline = ctx.deadline;
    }
    return s;
}

std::string pids_of(const std::vector<BlockingSession>& blockers) {
    std::vector<std::string> pids;
    pids.reserve(blockers.size());
    for (const auto& b : blockers) {
        pids.push_back(std::to_string(b.pid));
    }
    return (pids.size() == 1 ? "pid " : "pids ") + util::join(pids, ", ");
}

}  // namespace

MigrationWatch::MigrationWatch(RunContext& ctx, const core::Migration& m, milliseconds lock_timeout,
                               bool to_deadline)
    : m_ctx(ctx),
      m_migration(m),
      m_probe(session_probe(ctx.control)),
      m_watch(
          *m_probe, ctx.migration.backend_pid(), watch_settings(ctx, lock_timeout, to_deadline),
          [](const std::string& line) { core::log_info(line); },
          [&ctx] { ctx.migration.cancel(); }),
      m_backoff(ctx.settings.retry_base_delay, ctx.settings.retry_max_delay) {}

void MigrationWatch::start(const std::string& what) {
    m_what = what;
    m_watch.start(what);
}

void MigrationWatch::stop() {
    m_watch.stop();
}

milliseconds MigrationWatch::bound(int attempt, milliseconds delay) const {
    if (!m_watch.blockers_known()) {
        return delay;
    }
    return db::capped_timeout(m_backoff.ceiling(attempt), m_ctx.deadline);
}

void MigrationWatch::announce_retry(int attempt, milliseconds delay, const std::string& at) {
    m_watch.stop();
    std::string waits_for;
    if (m_watch.blockers_known()) {
        auto blockers = m_watch.blockers();
        waits_for = "blocked by " + pids_of(blockers) + "; retrying as soon as " +
                    (blockers.size() == 1 ? "it ends" : "they end");
    }
    std::string message = db::lock_retry_message(at, attempt, m_ctx.settings.lock_retries,
                                                 bound(attempt, delay), waits_for);
    core::log_warn(m_migration.id() + ": " + message);
    db::record_event(m_ctx.control,
                     {m_ctx.run_id, "migration.retry", m_migration.version, message});
}

bool MigrationWatch::wait_to_retry(int attempt, milliseconds delay) {
    if (m_watch.blockers_known()) {
        auto waited = m_watch.wait_for_blockers(bound(attempt, delay));
        if (waited == BlockerWait::interrupted) {
            return false;
        }
        if (waited == BlockerWait::gone) {
            core::log_info(m_migration.id() + ": " + pids_of(m_watch.blockers()) +
                           " no longer blocks; retrying now");
        }
    } else if (!util::interruptible_sleep(delay)) {
        return false;
    }
    m_watch.start(m_what);
    return true;
}

}  // namespace sm::executor
