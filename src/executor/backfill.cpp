#include "executor/backfill.hpp"

#include <algorithm>
#include <cmath>

#include "core/log.hpp"
#include "core/sql_quote.hpp"
#include "db/backfill_store.hpp"
#include "db/history.hpp"
#include "db/transaction.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

using std::chrono::milliseconds;
using BackfillClock = std::chrono::steady_clock;

struct KeyColumn {
    std::string name;  // quoted
    std::string type;  // format_type()
};

// One run of one backfill migration (backfill.hpp).
class BackfillRunner {
  public:
    BackfillRunner(RunContext& ctx, const core::Migration& m, const core::Script& up,
                   const core::BackfillSettings& settings, const BackfillObserver& observe)
        : m_ctx(ctx),
          m_m(m),
          m_up(up),
          m_stmt(*up.backfill),
          m_settings(settings),
          m_observe(observe) {
        m_table = core::quote_ident(m_stmt.schema) + "." + core::quote_ident(m_stmt.table);
        m_progress.id = m.id();
        m_size = std::max(1, std::min(settings.batch_size, settings.max_batch_size));
    }

    milliseconds run() {
        auto start = BackfillClock::now();
        read_key();
        resume_or_start();
        while (!m_progress.done) {
            wait_until_clear();
            batch();
        }
        milliseconds took = util::millis_since(start);
        record_applied(took);
        return took;
    }

  private:
    [[noreturn]] void fail(ExitCode code, const std::string& what, const std::string& hint = {}) {
        throw Error(code, "backfill " + m_m.id() + ": " + what, hint);
    }

    std::string db_text(const db::DbError& e) const {
        return util::redact_text(e.primary()) + " (SQLSTATE " + e.sqlstate() + ")";
    }

    // The table's primary key, in index order.
    void read_key() {
        db::QueryResult r;
        try {
            r = m_ctx.control.exec_params(
                "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod) "
                "FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                {m_table});
        } catch (const db::DbError& e) {
            fail(ExitCode::failure,
                 "cannot read the primary key of " + m_table + ": " + db_text(e));
        }
        for (const auto& row : r.rows) {
            m_key.push_back({row[0].value_or(""), row[1].value_or("")});
        }
        if (m_key.empty()) {
            fail(ExitCode::invalid_input,
                 "table " + m_table +
                     " has no primary key; the runner splits the work into ranges of it",
                 "Add a primary key in an expand migration first (CREATE UNIQUE INDEX "
                 "CONCURRENTLY, then ALTER TABLE ... ADD PRIMARY KEY USING INDEX).");
        }
    }

    void resume_or_start() {
        db::ensure_backfill_table(m_ctx.control);
        auto row = db::read_backfill(m_ctx.control, m_m.version);
        if (row && row->state != "done" && !row->last_key.empty()) {
            if (row->checksum != m_up.checksum) {
                fail(ExitCode::drift,
                     "stopped after " + std::to_string(row->rows_done) +
                         " rows, and its file has changed since",
                     "Restore the file it started with, or delete its row from "
                     "safe_migrate.backfill to start over.");
            }
            m_last_key = row->last_key;
            m_progress.rows_done = row->rows_done;
            m_progress.keys_done = row->keys_done;
            m_progress.keys_total = row->keys_total;
            m_size = std::max(1, std::min(row->batch_size, m_settings.max_batch_size));
            core::log_info("backfill " + m_m.id() + ": resuming after " +
                           std::to_string(row->rows_done) + " rows (" +
                           std::to_string(row->batches) + " batches committed)");
            db::record_event(m_ctx.control,
                             {m_ctx.run_id, "backfill.resumed", m_m.version,
                              "resuming after " + std::to_string(row->rows_done) + " rows"});
            return;
        }
        db::BackfillRow fresh;
        fresh.version = m_m.version;
        fresh.name = m_m.name;
        fresh.change = m_m.up.directives.change;
        fresh.table = m_stmt.schema + "." + m_stmt.table;
        fresh.checksum = m_up.checksum;
        fresh.batch_size = m_size;
        // The planner's estimate when the table was analyzed; else a count.
        fresh.keys_total = std::stoll(
            m_ctx.control
                .exec_params("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = "
                             "$1::regclass",
                             {m_table})
                .scalar()
                .value_or("0"));
        if (fresh.keys_total == 0) {
            fresh.keys_total = std::stoll(
                m_ctx.control.exec("SELECT count(*) FROM " + m_table).scalar().value_or("0"));
        }
        m_progress.keys_total = fresh.keys_total;
        db::start_backfill(m_ctx.control, fresh);
    }

    // Why the runner must wait before its next batch, or "". The signals the
    // database gives are read in one round trip.
    std::string throttle_reason() {
        auto max_lag = m_settings.max_replica_lag ? m_settings.max_replica_lag
                                                  : m_ctx.settings.max_replica_lag;
        auto r = m_ctx.control.exec_prepared(
            "SELECT (SELECT pause_requested FROM safe_migrate.backfill WHERE version = $1), "
            "(SELECT string_agg(DISTINCT pid::text, ', ') FROM pg_locks WHERE locktype = "
            "'relation' AND relation = $2::regclass AND NOT granted AND pid <> ALL ($3::int[])), "
            "CASE WHEN $4 THEN (SELECT count(*) FILTER (WHERE state IS NULL) || ' ' || "
            "coalesce(max((extract(epoch FROM replay_lag) * 1000)::bigint), 0) FROM "
            "pg_stat_replication) END, current_user",
            {core::to_string(m_m.version), m_table,
             "{" + std::to_string(m_ctx.control.backend_pid()) + "," +
                 std::to_string(m_ctx.migration.backend_pid()) + "}",
             max_lag ? "true" : "false"});
        const auto& row = r.rows.at(0);
        if (row[0].value_or("f") == "t") {
            return "paused by 'safe-migrate backfill pause'; go on with: safe-migrate backfill "
                   "resume";
        }
        if (row[2]) {
            auto space = row[2]->find(' ');
            std::string role = row[3].value_or("");
            if (row[2]->substr(0, space) != "0") {
                return "the replicas' lag cannot be read: role " + role +
                       " may not see pg_stat_replication's details; fix: GRANT pg_monitor TO " +
                       core::quote_ident(role) + ";";
            }
            milliseconds lag(std::stoll(row[2]->substr(space + 1)));
            if (lag > *max_lag) {
                return "a replica replays " + util::format_duration(lag) +
                       " behind (max_replica_lag " + util::format_duration(*max_lag) + ")";
            }
        }
        if (row[1]) {
            return "sessions wait for locks on " + m_stmt.schema + "." + m_stmt.table + ": pid " +
                   *row[1];
        }
        return m_settings.check_sql.empty() ? "" : check_sql_reason();
    }

    // "" when [backfill] check_sql returns true, else why not.
    std::string check_sql_reason() {
        db::Value answer;
        try {
            auto r = m_ctx.control.exec(m_settings.check_sql);
            answer = r.empty() || r.rows[0].empty() ? db::Value() : r.scalar();
        } catch (const db::DbError& e) {
            fail(ExitCode::invalid_input, "[backfill] check_sql failed: " + db_text(e));
        }
        return answer.value_or("") == "t"
                   ? ""
                   : "[backfill] check_sql returned " + answer.value_or("NULL") + ", not true";
    }

    // Waits while throttle_reason() names a reason, telling the table and the observer.
    void wait_until_clear() {
        std::string reason = throttle_reason();
        if (reason.empty() && m_progress.paused.empty()) {
            return;
        }
        while (!reason.empty()) {
            if (reason != m_progress.paused) {
                m_progress.paused = reason;
                db::set_backfill_state(m_ctx.control, m_m.version, "paused", reason, m_size,
                                       m_progress.rows_per_second);
                m_observe(m_progress);
            }
            if (!util::interruptible_sleep(m_settings.pause_poll)) {
                interrupted();
            }
            reason = throttle_reason();
        }
        m_progress.paused.clear();
        db::set_backfill_state(m_ctx.control, m_m.version, "running", "", m_size,
                               m_progress.rows_per_second);
        m_observe(m_progress);
    }

    [[noreturn]] void interrupted() {
        std::string sig = util::interrupt_signal() == 15 ? "SIGTERM" : "SIGINT";
        std::string kept = std::to_string(m_progress.rows_done) +
                           " rows done; the committed batches stay and a re-run continues after "
                           "them";
        db::record_event(m_ctx.control, {m_ctx.run_id, "migration.interrupted", m_m.version,
                                         "interrupted by " + sig + "; " + kept});
        throw Error(ExitCode::interrupted,
                    "interrupted by " + sig + " while applying " + m_m.id() + "; " + kept);
    }

    std::string batch_sql() const;
    void batch();
    void record_applied(milliseconds took);

    RunContext& m_ctx;
    const core::Migration& m_m;
    const core::Script& m_up;
    const core::BackfillStatement& m_stmt;
    const core::BackfillSettings& m_settings;
    const BackfillObserver& m_observe;
    std::string m_table;  // quoted, qualified
    std::vector<KeyColumn> m_key;
    std::vector<std::string> m_last_key;  // empty: from the start
    int m_size = 1000;
    BackfillProgress m_progress;
    BackfillClock::time_point m_started = BackfillClock::now();
    int64_t m_rows_this_run = 0;
    int64_t m_keys_this_run = 0;
};

// One statement for a whole batch: the next keys (at most $L after the last
// key), the migration's statement limited to them, and the progress row.
std::string BackfillRunner::batch_sql() const {
    const size_t n = m_key.size();
    bool first = m_last_key.empty();
    // $1..$n: the last key (after the first batch); then the limit, the version, the rate.
    const size_t base = first ? 0 : n;
    const std::string limit = "$" + std::to_string(base + 1) + "::int";
    const std::string version = "$" + std::to_string(base + 2);
    const std::string rate = "$" + std::to_string(base + 3);
    std::vector<std::string> keys, aliased, alias, qualified, lower, desc, as_text;
    for (size_t i = 0; i < n; ++i) {
        std::string a = "sm_bf_k" + std::to_string(i);
        keys.push_back(m_key[i].name);
        aliased.push_back(m_key[i].name + " AS " + a);
        alias.push_back(a);
        qualified.push_back(m_stmt.key_qualifier + "." + m_key[i].name);
        lower.push_back("$" + std::to_string(i + 1) + "::" + m_key[i].type);
        desc.push_back(a + " DESC");
        as_text.push_back(a + "::text");
    }
    auto row = [](const std::vector<std::string>& v) { return "(" + util::join(v, ", ") + ")"; };
    std::string after_last = first ? "" : row(keys) + " > " + row(lower);
    std::string range = (first ? "" : row(qualified) + " > " + row(lower) + " AND ") +
                        row(qualified) + " <= (SELECT " + util::join(alias, ", ") +
                        " FROM sm_bf_hi)";
    std::string statement =
        m_stmt.condition.empty()
            ? m_stmt.before + " WHERE " + range + m_stmt.after
            : m_stmt.before + "(" + m_stmt.condition + ") AND " + range + m_stmt.after;
    return "WITH sm_bf_range AS (SELECT " + util::join(aliased, ", ") + " FROM " + m_table +
           (first ? "" : " WHERE " + after_last) + " ORDER BY " + util::join(keys, ", ") +
           " LIMIT " + limit + "), sm_bf_hi AS (SELECT " + util::join(alias, ", ") +
           ", (SELECT count(*) FROM sm_bf_range) AS sm_bf_n FROM sm_bf_range ORDER BY " +
           util::join(desc, ", ") + " LIMIT 1), sm_bf_done AS (" + statement +
           " RETURNING 1), sm_bf_saved AS (UPDATE safe_migrate.backfill SET last_key = ARRAY[" +
           util::join(as_text, ", ") +
           "], rows_done = rows_done + (SELECT count(*) FROM sm_bf_done), keys_done = keys_done "
           "+ sm_bf_n, batches = batches + 1, batch_size = " +
           limit + ", rows_per_second = " + rate +
           ", state = 'running', updated_at = clock_timestamp() FROM sm_bf_hi WHERE version = " +
           version + " RETURNING 1) SELECT sm_bf_n, (SELECT count(*) FROM sm_bf_done), " +
           "(SELECT count(*) FROM sm_bf_saved), " + util::join(as_text, ", ") + " FROM sm_bf_hi";
}

void BackfillRunner::batch() {
    db::TransactionLimits limits = db::transaction_limits(m_ctx.settings);
    limits.lock_timeout = m_up.lock_timeout.value_or(m_ctx.settings.lock_timeout);
    // A batch aims at batch_time: one that runs far longer is split, not waited for.
    limits.statement_timeout = m_up.statement_timeout.value_or(
        std::min(m_ctx.settings.statement_timeout,
                 std::max(milliseconds(5000), 20 * m_settings.batch_time)));
    limits.deadline = m_ctx.deadline;
    // Between lock-timeout retries: pause while sessions wait for locks on the
    // table (the batch may have queued behind them before the last check saw
    // them), else wait the delay.
    limits.wait = [this](int, milliseconds delay) {
        if (!throttle_reason().empty()) {
            wait_until_clear();
            return true;
        }
        return util::interruptible_sleep(delay);
    };
    std::vector<db::Value> params;
    for (const auto& k : m_last_key) {
        params.emplace_back(k);
    }
    params.emplace_back(std::to_string(m_size));
    params.emplace_back(core::to_string(m_m.version));
    params.emplace_back(std::to_string(m_progress.rows_per_second));
    auto start = BackfillClock::now();
    db::QueryResult result;
    try {
        result = db::run_transaction_batch(m_ctx.migration, limits, {{batch_sql(), params}},
                                           [&](int attempt, milliseconds delay, size_t) {
                                               core::log_warn(db::lock_retry_message(
                                                   m_m.id(), attempt, limits.lock_retries, delay));
                                           })
                     .at(0);
    } catch (const db::DbError& e) {
        if (util::interrupted()) {
            interrupted();
        }
        if (e.is_canceled() && m_size > 1 &&
            !(m_ctx.deadline && BackfillClock::now() >= *m_ctx.deadline)) {
            m_size = std::max(1, m_size / 2);  // statement_timeout: split the batch
            core::log_warn("backfill " + m_m.id() + ": a batch outran statement_timeout (" +
                           util::format_duration(limits.statement_timeout) + "); retrying with " +
                           std::to_string(m_size) + " rows");
            return;
        }
        fail(e.is_lock_timeout() ? ExitCode::lock_busy : ExitCode::failure,
             "a batch failed: " + db_text(e) + e.details(),
             "The batches committed so far stay (" + std::to_string(m_progress.rows_done) +
                 " rows); fix the cause and run execute again to continue.");
    }
    milliseconds took = std::max(milliseconds(1), util::millis_since(start));
    if (result.empty()) {
        m_progress.done = true;  // no key after the last one
        return;
    }
    const auto& row = result.rows[0];
    int64_t keys = std::stoll(row[0].value_or("0"));
    int64_t rows = std::stoll(row[1].value_or("0"));
    m_last_key.assign(row.size() - 3, "");
    for (size_t i = 3; i < row.size(); ++i) {
        m_last_key[i - 3] = row[i].value_or("");
    }
    m_progress.rows_done += rows;
    m_progress.keys_done += keys;
    m_rows_this_run += rows;
    m_keys_this_run += keys;
    double seconds =
        std::max(0.001, static_cast<double>(util::millis_since(m_started).count()) / 1000.0);
    m_progress.rows_per_second = static_cast<double>(m_rows_this_run) / seconds;
    double keys_per_second = static_cast<double>(m_keys_this_run) / seconds;
    int64_t left = std::max<int64_t>(0, m_progress.keys_total - m_progress.keys_done);
    m_progress.eta = milliseconds(
        static_cast<int64_t>(1000.0 * static_cast<double>(left) / std::max(1.0, keys_per_second)));
    m_progress.batch_size = m_size;
    if (keys >= m_size) {
        // Toward batch_time, at most doubling or halving at a time.
        double ratio = std::clamp(
            static_cast<double>(m_settings.batch_time.count()) / static_cast<double>(took.count()),
            0.5, 2.0);
        m_size =
            std::clamp(static_cast<int>(std::lround(m_size * ratio)), 1, m_settings.max_batch_size);
    } else {
        m_progress.done = true;  // the last keys of the table
    }
    m_observe(m_progress);
    if (!m_progress.done && m_settings.sleep_ratio > 0 &&
        !util::interruptible_sleep(milliseconds(
            static_cast<int64_t>(m_settings.sleep_ratio * static_cast<double>(took.count()))))) {
        interrupted();
    }
}

// The history row and the end of the backfill row land together.
void BackfillRunner::record_applied(milliseconds took) {
    db::AppliedMigration row = history_row(m_ctx, m_m, took);
    try {
        db::in_transaction(m_ctx.migration, [&] {
            db::insert_history_row(m_ctx.migration, row);
            db::set_backfill_state(m_ctx.migration, m_m.version, "done", "", m_size,
                                   m_progress.rows_per_second);
        });
    } catch (const db::DbError& e) {
        fail(ExitCode::failure, "cannot record it as applied: " + db_text(e),
             "Its batches all completed; re-running execute records it.");
    }
    db::record_event(m_ctx.control, {m_ctx.run_id, "migration.applied", m_m.version,
                                     "backfilled " + std::to_string(m_progress.rows_done) +
                                         " rows in " + util::format_duration(took)});
}

}  // namespace

std::string BackfillProgress::describe() const {
    std::string text = "backfill " + id + ": " + std::to_string(rows_done) + " rows";
    if (keys_total > 0) {
        int64_t percent = std::min<int64_t>(100, 100 * keys_done / keys_total);
        text += ", " + std::to_string(percent) + "% of " + std::to_string(keys_total) + " keys";
    }
    text += ", " + std::to_string(static_cast<int64_t>(std::lround(rows_per_second))) + " rows/s";
    if (eta && !done) {
        text += ", ETA " + util::format_duration(*eta);
    }
    text += ", batch " + std::to_string(batch_size);
    if (done) {
        text += ", done";
    }
    if (!paused.empty()) {
        text += "; paused: " + paused;
    }
    return text;
}

milliseconds run_backfill(RunContext& ctx, const core::Migration& migration, const core::Script& up,
                          const core::BackfillSettings& settings, const BackfillObserver& observe) {
    if (!up.backfill) {
        throw Error(ExitCode::failure, migration.id() + " is not a backfill migration");
    }
    return BackfillRunner(ctx, migration, up, settings, observe).run();
}

}  // namespace sm::executor
