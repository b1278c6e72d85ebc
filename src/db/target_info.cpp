#include "db/target_info.hpp"

#include "util/error.hpp"

namespace sm::db {

void refuse_standby(Session& session) {
    if (session.exec("SELECT pg_is_in_recovery()").scalar() == "t") {
        throw Error(ExitCode::refused,
                    "the target " + session.display_name() + " is a standby (in recovery)",
                    "Run migrations against the primary.");
    }
}

TargetIdentity read_identity(Session& session) {
    auto r = session.exec(
        "SELECT coalesce(host(inet_server_addr()), 'local socket'), "
        "coalesce(inet_server_port()::text, ''), "
        "current_database(), (SELECT system_identifier::text FROM pg_control_system()), "
        "current_setting('server_version_num')");
    const auto& row = r.rows.at(0);
    TargetIdentity id;
    id.host = row[0].value_or("");
    id.port = row[1].value_or("");
    id.database = row[2].value_or("");
    id.system_identifier = row[3].value_or("");
    id.server_version = std::stoi(row[4].value_or("0"));
    return id;
}

std::map<std::string, TableSize> read_table_sizes(Session& session,
                                                  const std::vector<std::string>& tables) {
    std::map<std::string, TableSize> sizes;
    std::string names;
    for (const auto& table : tables) {
        sizes[table] = TableSize{};
        names += (names.empty() ? "" : "\n") + table;
    }
    if (tables.empty()) {
        return sizes;
    }
    // One round trip for all tables; names are "schema.table" as the planner writes them.
    auto r = session.exec_params(
        "SELECT n.nspname || '.' || c.relname, greatest(c.reltuples, 0)::bigint, "
        "pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace "
        "WHERE n.nspname || '.' || c.relname = ANY (string_to_array($1, E'\\n')) "
        "AND c.relkind IN ('r', 'p', 'm', 'f')",
        {names});
    for (const auto& row : r.rows) {
        sizes[row[0].value_or("")] = {true, std::stoll(row[1].value_or("0")),
                                      std::stoll(row[2].value_or("0"))};
    }
    return sizes;
}

}  // namespace sm::db
