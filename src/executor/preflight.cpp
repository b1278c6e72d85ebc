#include "executor/preflight.hpp"

#include <nlohmann/json.hpp>

#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

std::string pid_list(const std::vector<int>& pids) {
    std::string out;
    for (int pid : pids) {
        out += (out.empty() ? "" : ",") + std::to_string(pid);
    }
    return out;
}

// Relations are matched by schema and name as the planner wrote them, so names
// needing quotes (upper case) match too; relations that do not exist yet drop out.
constexpr const char* k_blockers_sql = R"SQL(
WITH touched AS (
    SELECT c.oid, n.nspname || '.' || c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname || '.' || c.relname IN (SELECT jsonb_array_elements_text($1::jsonb))
)
SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''),
       coalesce(host(a.client_addr), 'local socket'), coalesce(a.state, ''),
       coalesce((extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, 0),
       coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       string_agg(DISTINCT t.name, ','), bool_and(NOT l.granted)
FROM pg_locks l
JOIN touched t ON t.oid = l.relation
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND a.pid <> pg_backend_pid()
  AND NOT (a.pid = ANY (string_to_array($2, ',')::int[]))
  AND (a.state LIKE 'idle in transaction%'
       OR clock_timestamp() - a.xact_start > $3::bigint * interval '1 millisecond'
       OR (a.state = 'active'
           AND clock_timestamp() - a.query_start > $3::bigint * interval '1 millisecond'))
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 6 DESC, 1
)SQL";

}  // namespace

std::string Blocker::describe() const {
    std::string out = "pid " + std::to_string(pid) + " (user '" + user + "', application '" +
                      application + "', from " + client + ", " + (state.empty() ? "?" : state);
    if (transaction_age.count() > 0) {
        out += ", transaction open for " + util::format_duration(transaction_age);
    }
    if (!query_start.empty()) {
        out += ", query started " + query_start;
    }
    out += (waiting ? "; waits for a lock on " : "; holds a lock on ") +
           util::join(relations, ", ") + ")";
    return out;
}

std::vector<Blocker> find_blockers(Session& session, const std::vector<std::string>& tables,
                                   std::chrono::milliseconds min_age,
                                   const std::vector<int>& own_pids) {
    if (tables.empty()) {
        return {};
    }
    auto result = session.exec_params(
        k_blockers_sql,
        {nlohmann::json(tables).dump(), pid_list(own_pids), std::to_string(min_age.count())});
    std::vector<Blocker> out;
    for (const auto& row : result.rows) {
        Blocker b;
        b.pid = std::stoi(row[0].value_or("0"));
        b.user = row[1].value_or("");
        b.application = row[2].value_or("");
        b.client = row[3].value_or("");
        b.state = row[4].value_or("");
        b.transaction_age = std::chrono::milliseconds(std::stoll(row[5].value_or("0")));
        b.query_start = row[6].value_or("");
        b.relations = util::split(row[7].value_or(""), ',');
        b.waiting = row[8].value_or("f") == "t";
        out.push_back(std::move(b));
    }
    return out;
}

std::vector<int> terminate_blockers(Session& session, const std::vector<Blocker>& blockers) {
    std::vector<int> pids;
    for (const auto& b : blockers) {
        pids.push_back(b.pid);
    }
    auto result = session.exec_params(
        "SELECT pid FROM unnest(string_to_array($1, ',')::int[]) AS pid "
        "WHERE pg_terminate_backend(pid)",
        {pid_list(pids)});
    std::vector<int> done;
    for (const auto& row : result.rows) {
        done.push_back(std::stoi(row[0].value_or("0")));
    }
    return done;
}

std::vector<ReplicaLag> replica_lag(Session& session) {
    auto result = session.exec(
        "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'unnamed standby'), "
        "coalesce((extract(epoch FROM replay_lag) * 1000)::bigint, 0) "
        "FROM pg_stat_replication ORDER BY 2 DESC");
    std::vector<ReplicaLag> out;
    for (const auto& row : result.rows) {
        out.push_back(
            {row[0].value_or(""), std::chrono::milliseconds(std::stoll(row[1].value_or("0")))});
    }
    return out;
}

}  // namespace sm::executor
