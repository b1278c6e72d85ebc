#include "executor/statement_watch.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "util/alarms.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often wait_for_blockers looks whether the blockers are gone.
constexpr milliseconds k_gone_poll{25};

// The backend's state and wait; while it waits for a lock, who blocks it, each
// as "pid@xact_start" ("pid@?" for a blocker with no session). pg_blocking_pids
// takes the lock manager's locks briefly, so it runs only during a lock wait.
constexpr const char* k_activity_sql =
    "SELECT coalesce(a.state, ''), coalesce(a.wait_event_type, ''), "
    "coalesce(a.wait_event, ''), "
    "CASE WHEN a.wait_event_type = 'Lock' THEN (SELECT string_agg(b.pid::text || '@' || "
    "CASE WHEN s.pid IS NULL THEN '?' ELSE coalesce(s.xact_start::text, '') END, ',' "
    "ORDER BY b.pid) FROM unnest(pg_blocking_pids(a.pid)) AS b(pid) "
    "LEFT JOIN pg_stat_activity s ON s.pid = b.pid) END "
    "FROM pg_stat_activity a WHERE a.pid = $1";

// Which of the blockers ("pid@xact_start,...") are still in that transaction.
constexpr const char* k_still_blocking_sql =
    "SELECT s.pid, coalesce(s.xact_start::text, '') FROM pg_stat_activity s "
    "WHERE s.pid::text || '@' || coalesce(s.xact_start::text, '') = "
    "ANY (string_to_array($1, ','))";

// One row per progress view that has pid: command, phase, done, total, unit.
std::string progress_sql(int server_version) {
    std::string sql =
        "SELECT 'vacuum', phase, heap_blks_scanned, heap_blks_total, 'blocks' "
        "FROM pg_stat_progress_vacuum WHERE pid = $1";
    if (server_version >= 120000) {
        sql +=
            " UNION ALL SELECT lower(command), phase, "
            "CASE WHEN blocks_total > 0 THEN blocks_done ELSE tuples_done END, "
            "CASE WHEN blocks_total > 0 THEN blocks_total ELSE tuples_total END, "
            "CASE WHEN blocks_total > 0 THEN 'blocks' ELSE 'tuples' END "
            "FROM pg_stat_progress_create_index WHERE pid = $1"
            " UNION ALL SELECT lower(command), phase, heap_blks_scanned, heap_blks_total, "
            "'blocks' FROM pg_stat_progress_cluster WHERE pid = $1";
    }
    if (server_version >= 140000) {
        sql +=
            " UNION ALL SELECT lower(command), type, "
            "CASE WHEN bytes_total > 0 THEN bytes_processed ELSE tuples_processed END, "
            "CASE WHEN bytes_total > 0 THEN bytes_total ELSE 0 END, "
            "CASE WHEN bytes_total > 0 THEN 'bytes' ELSE 'rows' END "
            "FROM pg_stat_progress_copy WHERE pid = $1";
    }
    return sql;
}

int64_t number(const db::Value& v) {
    return v && !v->empty() ? std::stoll(*v) : 0;
}

// "create index: building index: 45% (1215 of 2700 blocks)", or "... 5000 rows"
// when the total is unknown.
std::string describe_progress(const db::Row& row) {
    std::string out = row[0].value_or("") + ": " + row[1].value_or("");
    int64_t done = number(row[2]);
    int64_t total = number(row[3]);
    std::string unit = row[4].value_or("");
    if (total > 0) {
        out += ": " + std::to_string(done * 100 / total) + "% (" + std::to_string(done) + " of " +
               std::to_string(total) + " " + unit + ")";
    } else if (done > 0) {
        out += ": " + std::to_string(done) + " " + unit;
    }
    return out;
}

BlockingSession parse_blocker(const std::string& item, bool& unknown) {
    auto at = item.find('@');
    BlockingSession b;
    b.pid = std::stoi(item.substr(0, at));
    b.xact_start = at == std::string::npos ? "" : item.substr(at + 1);
    if (b.xact_start == "?" || b.pid == 0) {
        unknown = true;
    }
    return b;
}

class SessionProbe final : public BackendProbe {
  public:
    explicit SessionProbe(db::Session& observer)
        : m_observer(observer), m_progress_sql(progress_sql(observer.server_version())) {}

    BackendActivity activity(int pid, bool with_progress) override {
        std::vector<db::Value> params = {std::to_string(pid)};
        auto r = m_observer.exec_prepared(k_activity_sql, params);
        BackendActivity a;
        if (r.empty()) {
            return a;
        }
        const auto& row = r.rows[0];
        a.found = true;
        a.state = row[0].value_or("");
        a.wait_event_type = row[1].value_or("");
        a.wait_event = row[2].value_or("");
        for (const auto& item : util::split(row[3].value_or(""), ',')) {
            if (!item.empty()) {
                a.blockers.push_back(parse_blocker(item, a.unknown_blocker));
            }
        }
        if (with_progress) {
            for (const auto& p : m_observer.exec_prepared(m_progress_sql, params).rows) {
                a.progress += (a.progress.empty() ? "" : "; ") + describe_progress(p);
            }
        }
        return a;
    }

    std::vector<BlockingSession> still_blocking(
        const std::vector<BlockingSession>& blockers) override {
        std::string list;
        for (const auto& b : blockers) {
            list += (list.empty() ? "" : ",") + std::to_string(b.pid) + "@" + b.xact_start;
        }
        std::vector<BlockingSession> out;
        for (const auto& row : m_observer.exec_prepared(k_still_blocking_sql, {list}).rows) {
            out.push_back({std::stoi(row[0].value_or("0")), row[1].value_or("")});
        }
        return out;
    }

  private:
    db::Session& m_observer;
    std::string m_progress_sql;
};

}  // namespace

std::unique_ptr<BackendProbe> session_probe(db::Session& observer) {
    return std::make_unique<SessionProbe>(observer);
}

std::string heartbeat_line(const std::string& what, milliseconds elapsed,
                           const BackendActivity& a) {
    std::string out = "heartbeat: " + what + " running for " + util::format_duration(elapsed);
    if (!a.wait_event_type.empty()) {
        out +=
            ", waiting on " + a.wait_event_type + (a.wait_event.empty() ? "" : ":" + a.wait_event);
    } else if (a.found && !a.state.empty()) {
        out += ", " + a.state;
    }
    if (!a.blockers.empty()) {
        std::vector<std::string> pids;
        for (const auto& b : a.blockers) {
            pids.push_back(std::to_string(b.pid));
        }
        out += ", blocked by pid " + util::join(pids, ", ");
    }
    if (!a.progress.empty()) {
        out += "; " + a.progress;
    }
    return out;
}

milliseconds poll_for(milliseconds lock_timeout) {
    if (lock_timeout.count() <= 0) {
        return milliseconds(250);
    }
    return std::clamp(lock_timeout / 4, milliseconds(20), milliseconds(250));
}

StatementWatch::StatementWatch(BackendProbe& probe, int pid, WatchSettings settings, Sink sink,
                               std::function<void()> cancel)
    : m_probe(probe),
      m_pid(pid),
      m_settings(settings),
      m_sink(std::move(sink)),
      m_cancel(std::move(cancel)) {}

StatementWatch::~StatementWatch() {
    stop();
}

void StatementWatch::start(const std::string& what) {
    stop();
    m_what = what;
    m_started = Clock::now();
    m_next_beat = m_started + m_settings.heartbeat;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_unknown = false;
        m_blockers.clear();
    }
    m_alarm = util::Alarms::shared().add(next_look(m_started), [this] { return look(); });
}

void StatementWatch::stop() {
    if (m_alarm) {
        util::Alarms::shared().cancel(*m_alarm);
        m_alarm.reset();
    }
}

std::vector<BlockingSession> StatementWatch::blockers() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_blockers;
}

bool StatementWatch::blockers_known() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return !m_blockers.empty() && !m_unknown;
}

bool StatementWatch::cancelled_at_deadline() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_cancelled;
}

Clock::time_point StatementWatch::next_look(Clock::time_point now) const {
    auto next = now + m_settings.poll;
    if (m_settings.heartbeat.count() > 0) {
        next = std::min(next, m_next_beat);
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_settings.deadline && !m_cancelled) {
        next = std::min(next, *m_settings.deadline);
    }
    return next;
}

std::optional<Clock::time_point> StatementWatch::look() {
    auto now = Clock::now();
    bool beat = m_settings.heartbeat.count() > 0 && now >= m_next_beat;
    sample(now, beat ? std::optional<Clock::time_point>(m_next_beat) : std::nullopt);
    if (beat) {
        m_next_beat += m_settings.heartbeat * ((now - m_next_beat) / m_settings.heartbeat + 1);
    }
    return next_look(Clock::now());
}

void StatementWatch::sample(Clock::time_point now, std::optional<Clock::time_point> beat) {
    if (m_settings.deadline && now >= *m_settings.deadline) {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (!m_cancelled) {
            m_cancelled = true;
            lock.unlock();
            m_cancel();
        }
    }
    BackendActivity a;
    try {
        a = m_probe.activity(m_pid, beat.has_value());
    } catch (const db::DbError& e) {
        // The run finds out for itself when the session is gone; a heartbeat
        // without detail still says that the statement runs.
        core::log_debug(std::string("statement watch: ") + e.what());
    }
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_unknown = m_unknown || a.unknown_blocker;
        for (const auto& b : a.blockers) {
            if (std::find(m_blockers.begin(), m_blockers.end(), b) == m_blockers.end()) {
                m_blockers.push_back(b);
            }
        }
    }
    if (beat) {
        // The time it was due: heartbeats read 30s, 1min 0s, ... however busy the machine.
        m_sink(
            heartbeat_line(m_what, std::chrono::duration_cast<milliseconds>(*beat - m_started), a));
    }
}

BlockerWait StatementWatch::wait_for_blockers(milliseconds at_most) {
    auto until = Clock::now() + at_most;
    if (m_settings.deadline) {
        until = std::min(until, *m_settings.deadline);
    }
    std::vector<BlockingSession> waiting_for = blockers();
    for (;;) {
        waiting_for = m_probe.still_blocking(waiting_for);
        if (waiting_for.empty()) {
            return BlockerWait::gone;
        }
        auto now = Clock::now();
        if (now >= until) {
            return BlockerWait::timed_out;
        }
        auto left = std::chrono::ceil<milliseconds>(until - now);
        if (!util::interruptible_sleep(std::min(left, k_gone_poll))) {
            return BlockerWait::interrupted;
        }
    }
}

}  // namespace sm::executor
