#include "db/transaction.hpp"

#include <algorithm>
#include <exception>

#include "core/backoff.hpp"
#include "core/duration.hpp"
#include "core/sql_quote.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::db {
namespace {

// The transaction's limits as one statement, prepared once per connection:
// lock_timeout, statement_timeout (both capped by the deadline), then
// limits.settings, each through set_config(name, value, true), which is SET
// LOCAL. The SQL depends only on how many there are.
BatchStatement local_settings(const TransactionLimits& limits) {
    BatchStatement out{"SELECT ", {}, true};
    auto add = [&out](const std::string& name, const std::string& value) {
        const size_t n = out.params.size();
        out.sql += (n == 0 ? "set_config($" : ", set_config($") + std::to_string(n + 1) + ", $" +
                   std::to_string(n + 2) + ", true)";
        out.params.emplace_back(name);
        out.params.emplace_back(value);
    };
    add("lock_timeout", core::to_pg_setting(capped_timeout(limits.lock_timeout, limits.deadline)));
    add("statement_timeout",
        core::to_pg_setting(capped_timeout(limits.statement_timeout, limits.deadline)));
    for (const auto& [name, value] : limits.settings) {
        add(name, value);
    }
    return out;
}

// Runs attempt (which opens, fills and commits a transaction on session) until
// it succeeds, retrying after a lock timeout as run_transaction says.
// first_in_flight: the first attempt is in flight already (sent ahead), so an
// interrupt cancels it and takes its result instead of not starting it.
void with_lock_retries(Session& session, const TransactionLimits& limits,
                       const std::function<void()>& attempt_once, const LockRetryNotice& on_retry,
                       bool first_in_flight = false) {
    core::Backoff backoff(limits.retry_base_delay, limits.retry_max_delay);
    for (int attempt = 0;; ++attempt) {
        std::exception_ptr timed_out;  // this attempt's lock timeout
        try {
            util::ScopedCancelHook hook([&session] { session.cancel(); });
            if (util::interrupted()) {
                if (attempt > 0 || !first_in_flight) {
                    throw DbError("57014", "canceling statement due to user request");
                }
                session.cancel();  // it may have ended already: its result says
            }
            attempt_once();
            return;
        } catch (const DbError& e) {
            if (e.connection_lost()) {
                throw;
            }
            rollback_quietly(session);
            if (util::interrupted() || !e.is_lock_timeout() || attempt >= limits.lock_retries) {
                throw;
            }
            timed_out = std::current_exception();
        } catch (...) {
            rollback_quietly(session);
            throw;
        }
        // The attempt timed out on a lock and was rolled back: wait, then again.
        std::chrono::milliseconds delay = backoff.delay(attempt);
        if (limits.deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *limits.deadline - std::chrono::steady_clock::now());
            delay = std::max(std::chrono::milliseconds(0), std::min(delay, left));
        }
        if (on_retry) {
            on_retry(attempt, delay);
        }
        bool waited = limits.wait ? limits.wait(attempt, delay) : util::interruptible_sleep(delay);
        if (!waited) {
            throw RetryWaitInterrupted();
        }
        if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline) {
            std::rethrow_exception(timed_out);  // the run's time is up
        }
    }
}

}  // namespace

std::chrono::milliseconds capped_timeout(std::chrono::milliseconds timeout,
                                         const Deadline& deadline) {
    if (!deadline) {
        return timeout;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *deadline - std::chrono::steady_clock::now());
    left = std::max(left, std::chrono::milliseconds(1));
    return timeout.count() == 0 ? left : std::min(timeout, left);
}

std::string set_timeouts_sql(std::chrono::milliseconds lock_timeout,
                             std::optional<std::chrono::milliseconds> statement_timeout,
                             SettingScope scope) {
    const std::string set = scope == SettingScope::transaction ? "SET LOCAL " : "SET ";
    std::string sql =
        set + "lock_timeout = " + core::quote_literal(core::to_pg_setting(lock_timeout));
    if (statement_timeout) {
        sql += "; " + set + "statement_timeout = " +
               core::quote_literal(core::to_pg_setting(*statement_timeout));
    }
    return sql;
}

SessionTimeouts::SessionTimeouts(Session& session, std::chrono::milliseconds lock,
                                 std::chrono::milliseconds statement)
    : m_session(session) {
    m_session.exec(set_timeouts_sql(lock, statement, SettingScope::session));
}

SessionTimeouts::~SessionTimeouts() {
    try {
        m_session.exec("RESET lock_timeout; RESET statement_timeout");
    } catch (...) {
        // Nothing to do: the session is gone, and its settings with it.
    }
}

void rollback_quietly(Session& session) noexcept {
    try {
        session.exec("ROLLBACK");
    } catch (...) {
        // Nothing to do: an aborted transaction or a lost connection ends it.
    }
}

void in_transaction(Session& session, const std::function<void()>& body, const char* begin) {
    session.exec(begin);
    try {
        body();
        session.exec("COMMIT");
    } catch (...) {
        rollback_quietly(session);
        throw;
    }
}

TransactionLimits transaction_limits(const core::ExecuteSettings& settings) {
    TransactionLimits limits;
    limits.lock_timeout = settings.lock_timeout;
    limits.statement_timeout = settings.statement_timeout;
    limits.lock_retries = settings.lock_retries;
    limits.retry_base_delay = settings.retry_base_delay;
    limits.retry_max_delay = settings.retry_max_delay;
    return limits;
}

void run_transaction(Session& session, const TransactionLimits& limits,
                     const std::function<void()>& body, const LockRetryNotice& on_retry) {
    with_lock_retries(
        session, limits,
        [&] {
            session.exec_batch({{"BEGIN", {}}, local_settings(limits)});
            body();
            session.exec("COMMIT");
        },
        on_retry);
}

namespace {

constexpr size_t k_first = 2;  // the caller's first statement, after BEGIN and the settings

// BEGIN and the settings (their timeouts capped to the deadline now:
// capped_timeout), the statements, COMMIT.
std::vector<BatchStatement> transaction_batch(const TransactionLimits& limits,
                                              const std::vector<BatchStatement>& statements) {
    std::vector<BatchStatement> batch = {{"BEGIN", {}, true}, local_settings(limits)};
    batch.insert(batch.end(), statements.begin(), statements.end());
    batch.push_back({"COMMIT", {}, true});
    return batch;
}

// The first attempt of a batch sent ahead, or with one to send behind it:
// sent unless it was already, then what goes behind it, then its results. A
// failure tells ahead.dropped (the server skipped what was sent behind).
std::vector<QueryResult> first_attempt_ahead(Session& session,
                                             const std::vector<BatchStatement>& batch,
                                             const SendAhead& ahead) {
    try {
        if (!ahead.sent) {
            session.send_batch(batch);
        }
        if (ahead.then) {
            ahead.then();
        }
        return session.receive_batch();
    } catch (...) {
        if (ahead.dropped) {
            ahead.dropped();
        }
        throw;
    }
}

}  // namespace

void send_transaction_batch(Session& session, const TransactionLimits& limits,
                            const std::vector<BatchStatement>& statements) {
    session.send_batch(transaction_batch(limits, statements));
}

std::vector<QueryResult> run_transaction_batch(Session& session, const TransactionLimits& limits,
                                               const std::vector<BatchStatement>& statements,
                                               const BatchRetryNotice& on_retry,
                                               const SendAhead& ahead) {
    // Built for each attempt that sends it (its timeouts capped anew); a
    // first attempt sent ahead already needs none.
    std::vector<BatchStatement> batch;
    // Renumbered for the caller: statements.size() is BEGIN, the settings or COMMIT.
    auto theirs = [&](size_t index) {
        return index >= k_first && index < k_first + statements.size() ? index - k_first
                                                                       : statements.size();
    };
    std::vector<QueryResult> results;
    size_t failed_at = statements.size();
    int attempts = 0;
    auto attempt = [&] {
        const bool first = attempts++ == 0;
        if (!first || !ahead.sent) {
            batch = transaction_batch(limits, statements);
        }
        try {
            if (first && (ahead.sent || ahead.then)) {
                results = first_attempt_ahead(session, batch, ahead);
            } else {
                results = session.exec_batch(batch);
            }
        } catch (const BatchError& e) {
            failed_at = theirs(e.index());
            throw BatchError(e, failed_at);
        }
    };
    auto notice = [&](int n, std::chrono::milliseconds delay) {
        if (on_retry) {
            on_retry(n, delay, failed_at);
        }
    };
    with_lock_retries(session, limits, attempt, notice, ahead.sent);
    return {results.begin() + static_cast<std::ptrdiff_t>(k_first),
            results.begin() + static_cast<std::ptrdiff_t>(k_first + statements.size())};
}

std::string lock_retry_message(const std::string& where, int attempt, int lock_retries,
                               std::chrono::milliseconds delay, const std::string& waits_for) {
    std::string head = "lock timeout at " + where + " (attempt " + std::to_string(attempt + 1) +
                       " of " + std::to_string(lock_retries + 1) + "); ";
    if (waits_for.empty()) {
        return head + "retrying in " + util::format_duration(delay);
    }
    return head + waits_for + " (at most " + util::format_duration(delay) + ")";
}

}  // namespace sm::db
