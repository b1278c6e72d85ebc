#include "db/transaction.hpp"

#include "core/duration.hpp"

namespace sm::db {

std::string set_timeouts_sql(std::chrono::milliseconds lock_timeout,
                             std::optional<std::chrono::milliseconds> statement_timeout,
                             SettingScope scope) {
    const std::string set = scope == SettingScope::transaction ? "SET LOCAL " : "SET ";
    std::string sql = set + "lock_timeout = " + quote_literal(core::to_pg_setting(lock_timeout));
    if (statement_timeout) {
        sql += "; " + set +
               "statement_timeout = " + quote_literal(core::to_pg_setting(*statement_timeout));
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

}  // namespace sm::db
