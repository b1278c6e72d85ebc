#include "seed/protected_target.hpp"

#include <cstdio>

#include "core/identity.hpp"
#include "db/transaction.hpp"
#include "util/redact.hpp"

namespace sm::seed {

void remember_if_protected(db::Session& session, const core::Config& config) {
    if (!config.is_protected()) {
        return;
    }
    try {
        db::in_transaction(session, [&] {
            session.exec(db::set_timeouts_sql(db::k_bookkeeping_lock_timeout, std::nullopt,
                                              db::SettingScope::transaction));
            session.exec_params(
                "INSERT INTO safe_migrate.protected_targets (system_identifier, database, "
                "environment, recorded_by) "
                "SELECT system_identifier::text, current_database(), $1, $2 FROM "
                "pg_control_system() "
                "ON CONFLICT (system_identifier, database) DO UPDATE SET "
                "environment = EXCLUDED.environment, last_recorded_at = clock_timestamp(), "
                "recorded_by = EXCLUDED.recorded_by",
                {*config.environment, core::actor()});
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "safe-migrate: warning: could not record the target as protected: %s\n",
                     util::redact_text(e.what()).c_str());
    }
}

std::optional<std::string> protected_match(db::Session& session) {
    if (session.exec("SELECT to_regclass('safe_migrate.protected_targets') IS NULL").scalar() ==
        "t") {
        return std::nullopt;
    }
    auto r = session.exec(
        "SELECT p.database, p.system_identifier, p.environment, "
        "to_char(p.last_recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM safe_migrate.protected_targets p, pg_control_system() c "
        "WHERE p.system_identifier = c.system_identifier::text "
        "OR p.database = current_database() "
        "ORDER BY p.last_recorded_at DESC LIMIT 1");
    if (r.empty()) {
        return std::nullopt;
    }
    const auto& row = r.rows[0];
    return "database '" + row[0].value_or("") + "' on system " + row[1].value_or("") +
           ", recorded for environment '" + row[2].value_or("") + "' on " + row[3].value_or("");
}

}  // namespace sm::seed
