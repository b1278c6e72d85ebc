#include "db/transaction.hpp"

#include "core/backoff.hpp"
#include "core/duration.hpp"
#include "core/sql_quote.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::db {
namespace {

// BEGIN and the transaction's settings, for one round trip.
std::string begin_sql(const TransactionLimits& limits) {
    std::string sql = "BEGIN; " + set_timeouts_sql(limits.lock_timeout, limits.statement_timeout,
                                                   SettingScope::transaction);
    for (const auto& [name, value] : limits.settings) {
        sql += "; SET LOCAL " + name + " = " + core::quote_literal(value);
    }
    return sql;
}

}  // namespace

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
    core::Backoff backoff(limits.retry_base_delay, limits.retry_max_delay);
    for (int attempt = 0;; ++attempt) {
        try {
            util::ScopedCancelHook hook([&session] { session.cancel(); });
            if (util::interrupted()) {
                throw DbError("57014", "canceling statement due to user request");
            }
            session.exec(begin_sql(limits));
            body();
            session.exec("COMMIT");
            return;
        } catch (const DbError& e) {
            if (e.connection_lost()) {
                throw;
            }
            rollback_quietly(session);
            if (util::interrupted() || !e.is_lock_timeout() || attempt >= limits.lock_retries) {
                throw;
            }
        } catch (...) {
            rollback_quietly(session);
            throw;
        }
        // The attempt timed out on a lock and was rolled back: wait, then again.
        std::chrono::milliseconds delay = backoff.delay(attempt);
        if (on_retry) {
            on_retry(attempt, delay);
        }
        if (!util::interruptible_sleep(delay)) {
            throw RetryWaitInterrupted();
        }
    }
}

std::string lock_retry_message(const std::string& where, int attempt, int lock_retries,
                               std::chrono::milliseconds delay) {
    return "lock timeout at " + where + " (attempt " + std::to_string(attempt + 1) + " of " +
           std::to_string(lock_retries + 1) + "); retrying in " + util::format_duration(delay);
}

}  // namespace sm::db
