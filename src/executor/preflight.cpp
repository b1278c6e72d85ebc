#include "executor/preflight.hpp"

#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::executor {
namespace {

std::string pid_list(const std::vector<int>& pids) {
    std::string out = "{";
    for (int pid : pids) {
        out += (out.size() > 1 ? "," : "") + std::to_string(pid);
    }
    return out + "}";
}

// A PostgreSQL array literal of strings ({"a","b"}), for a text[] parameter.
std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (const auto& v : values) {
        out += out.size() > 1 ? ",\"" : "\"";
        for (char c : v) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

// The touched relations' oids: $1 schemas, $3 names, matched exactly (quoted),
// so names needing quotes match too; relations not created yet drop out.
constexpr std::string_view k_touched_oids =
    "ARRAY(SELECT to_regclass(quote_ident(s) || '.' || quote_ident(t))::oid "
    "FROM unnest($1::text[], $3::text[]) AS x(s, t) "
    "WHERE to_regclass(quote_ident(s) || '.' || quote_ident(t)) IS NOT NULL)";

// Cheap first look (pg_locks only, a small plan): does anybody else lock them?
const std::string& probe_sql() {
    static const std::string sql = [] {
        std::string text =
            "SELECT 1 FROM pg_locks l WHERE l.locktype = 'relation' "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.pid <> pg_backend_pid() AND NOT (l.pid = ANY ($2::int[])) "
            "AND l.relation = ANY (";
        text += k_touched_oids;
        text += ") LIMIT 1";
        return text;
    }();
    return sql;
}

const std::string& blockers_sql() {
    static const std::string sql = [] {
        std::string text =
            "SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), "
            "coalesce(host(a.client_addr), 'local socket'), coalesce(a.state, ''), "
            "coalesce((extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, 0), "
            "coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
            "''), "
            "string_agg(DISTINCT l.relation::regclass::text, ','), bool_and(NOT l.granted) "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'relation' "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND a.pid <> pg_backend_pid() AND NOT (a.pid = ANY ($2::int[])) "
            "AND l.relation = ANY (";
        text += k_touched_oids;
        text +=
            ") "
            "AND (a.state LIKE 'idle in transaction%' "
            "OR clock_timestamp() - a.xact_start > $4::bigint * interval '1 millisecond' "
            "OR (a.state = 'active' "
            "AND clock_timestamp() - a.query_start > $4::bigint * interval '1 millisecond')) "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 6 DESC, 1";
        return text;
    }();
    return sql;
}

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

namespace {

// "schema.name" split in two arrays, for the queries' $1 and $3.
std::pair<std::string, std::string> split_names(const std::vector<std::string>& tables) {
    std::vector<std::string> schemas;
    std::vector<std::string> names;
    for (const auto& table : tables) {
        auto dot = table.find('.');
        schemas.push_back(dot == std::string::npos ? "public" : table.substr(0, dot));
        names.push_back(dot == std::string::npos ? table : table.substr(dot + 1));
    }
    return {text_array(schemas), text_array(names)};
}

}  // namespace

std::vector<std::string> existing_relations(db::Session& session,
                                            const std::vector<std::string>& tables) {
    if (tables.empty()) {
        return {};
    }
    auto [schemas, names] = split_names(tables);
    auto result = session.exec_params(
        "SELECT s || '.' || t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(s, t, n) "
        "WHERE to_regclass(quote_ident(s) || '.' || quote_ident(t)) IS NOT NULL ORDER BY n",
        {schemas, names});
    std::vector<std::string> out;
    for (const auto& row : result.rows) {
        out.push_back(row[0].value_or(""));
    }
    return out;
}

std::vector<Blocker> find_blockers(db::Session& session, const std::vector<std::string>& tables,
                                   std::chrono::milliseconds min_age,
                                   const std::vector<int>& own_pids) {
    if (tables.empty()) {
        return {};
    }
    auto [schemas, names] = split_names(tables);
    std::vector<db::Value> params = {schemas, pid_list(own_pids), names};
    if (session.exec_prepared(probe_sql(), params).empty()) {
        return {};
    }
    params.push_back(std::to_string(min_age.count()));
    auto result = session.exec_params(blockers_sql(), params);
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

std::vector<int> terminate_blockers(db::Session& session, const std::vector<Blocker>& blockers) {
    std::vector<int> pids;
    pids.reserve(blockers.size());
    for (const auto& b : blockers) {
        pids.push_back(b.pid);
    }
    auto result = session.exec_params(
        "SELECT pid FROM unnest($1::int[]) AS pid "
        "WHERE pg_terminate_backend(pid)",
        {pid_list(pids)});
    std::vector<int> done;
    for (const auto& row : result.rows) {
        done.push_back(std::stoi(row[0].value_or("0")));
    }
    return done;
}

std::vector<ReplicaLag> replica_lag(db::Session& session) {
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

std::vector<std::string> sessions_of_application(db::Session& session, const std::string& pattern) {
    auto result = session.exec_params(
        "SELECT pid, coalesce(usename, ''), application_name, "
        "coalesce(host(client_addr), 'local socket') FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name ~ $1 ORDER BY backend_start, pid",
        {pattern});
    std::vector<std::string> out;
    for (const auto& row : result.rows) {
        out.push_back("pid " + row[0].value_or("") + " (user '" + row[1].value_or("") +
                      "', application '" + row[2].value_or("") + "', from " + row[3].value_or("") +
                      ")");
    }
    return out;
}

}  // namespace sm::executor
