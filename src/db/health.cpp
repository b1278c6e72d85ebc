#include "db/health.hpp"

#include <string>

namespace sm::db {
namespace {

// Schemas that are not the project's.
constexpr const char* k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'safe_migrate') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

// A timestamptz column as UTC ISO 8601 text.
std::string iso(const std::string& column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

std::string health_text(const Value& v) {
    return v ? *v : std::string();
}
int64_t health_int(const Value& v) {
    return v ? std::stoll(*v) : 0;
}

std::optional<LongSession> longest(Session& session, const std::string& where,
                                   const std::string& since) {
    auto r = session.exec(
        "SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), "
        "extract(epoch FROM now() - " +
        since + ")::float8, left(coalesce(query, ''), 200) FROM pg_stat_activity WHERE " + where +
        " AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
        "AND datname = current_database() AND " +
        since + " IS NOT NULL ORDER BY " + since + " LIMIT 1");
    if (r.empty()) {
        return std::nullopt;
    }
    const Row& row = r.rows.front();
    return LongSession{static_cast<int>(health_int(row[0])), health_text(row[1]),
                       health_text(row[2]), std::stod(health_text(row[3])), health_text(row[4])};
}

std::vector<std::string> names(Session& session, const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& row : session.exec(sql).rows) {
        out.push_back(health_text(row[0]));
    }
    return out;
}

std::vector<StandbyLag> standbys(Session& session) {
    std::vector<StandbyLag> out;
    auto r = session.exec(
        "SELECT coalesce(nullif(application_name, ''), client_addr::text, 'local'), "
        "coalesce(state, ''), extract(epoch FROM replay_lag)::float8, "
        "CASE WHEN pg_is_in_recovery() THEN NULL "
        "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint END "
        "FROM pg_stat_replication ORDER BY 1");
    for (const auto& row : r.rows) {
        StandbyLag s{health_text(row[0]), health_text(row[1]), std::nullopt, std::nullopt};
        if (row[2]) {
            s.replay_lag_seconds = std::stod(*row[2]);
        }
        if (row[3]) {
            s.replay_lag_bytes = std::stoll(*row[3]);
        }
        out.push_back(s);
    }
    return out;
}

// Ascending sequences against their maxvalue, descending ones against their
// minvalue; last_value is null for one never used (or not readable).
std::vector<SequenceUse> sequences_near_limit(Session& session) {
    std::vector<SequenceUse> out;
    auto r = session.exec(
        "SELECT * FROM (SELECT format('%I.%I', schemaname, sequencename), last_value, "
        "CASE WHEN increment_by > 0 THEN max_value ELSE min_value END AS bound, "
        "round(100 * last_value::numeric / CASE WHEN increment_by > 0 THEN max_value "
        "ELSE min_value END, 1)::float8 AS pct FROM pg_sequences "
        "WHERE last_value IS NOT NULL AND schemaname <> 'safe_migrate') s "
        "WHERE pct > 75 ORDER BY pct DESC, 1");
    for (const auto& row : r.rows) {
        out.push_back({health_text(row[0]), health_int(row[1]), health_int(row[2]),
                       std::stod(health_text(row[3]))});
    }
    return out;
}

}  // namespace

std::vector<TableStats> read_table_stats(Session& session) {
    auto r = session.exec(
        "SELECT n.nspname, c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
        "pg_indexes_size(c.oid), coalesce(s.n_dead_tup, 0), " +
        iso("greatest(s.last_vacuum, s.last_autovacuum)") + ", " +
        iso("greatest(s.last_analyze, s.last_autoanalyze)") +
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
        "WHERE c.relkind IN ('r', 'p') AND " +
        k_user_schemas + " ORDER BY 1, 2");
    std::vector<TableStats> out;
    for (const auto& row : r.rows) {
        out.push_back({health_text(row[0]), health_text(row[1]), health_int(row[2]),
                       health_int(row[3]), health_int(row[4]), health_int(row[5]),
                       health_text(row[6]), health_text(row[7])});
    }
    return out;
}

Health read_health(Session& session) {
    Health h;
    auto basics = session.exec(
        "SELECT current_setting('server_version'), pg_database_size(current_database()), "
        "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
        "current_setting('max_connections')::int");
    const Row& row = basics.rows.front();
    h.server_version = health_text(row[0]);
    h.database_bytes = health_int(row[1]);
    h.connections = static_cast<int>(health_int(row[2]));
    h.max_connections = static_cast<int>(health_int(row[3]));
    h.longest_running = longest(session, "state = 'active'", "query_start");
    h.longest_idle_in_transaction =
        longest(session, "state LIKE 'idle in transaction%'", "xact_start");
    h.standbys = standbys(session);
    h.invalid_indexes = names(
        session,
        "SELECT format('%I.%I on %I.%I', n.nspname, ic.relname, tn.nspname, t.relname) "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = ic.relnamespace JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE NOT i.indisvalid ORDER BY 1");
    h.unvalidated_constraints =
        names(session,
              "SELECT format('%I.%I.%I', n.nspname, t.relname, c.conname) FROM pg_constraint c "
              "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
              "WHERE NOT c.convalidated ORDER BY 1");
    h.sequences_near_limit = sequences_near_limit(session);
    return h;
}

}  // namespace sm::db
