#include "seed/seed_history.hpp"

namespace sm::seed {

std::vector<AppliedSeed> read_applied_seeds(db::Session& session) {
    std::vector<AppliedSeed> out;
    if (session.exec("SELECT to_regclass('safe_migrate.seeds') IS NULL").scalar() == "t") {
        return out;
    }
    auto r = session.exec(
        "SELECT id, environment, checksum, checksum_algorithm, scale, "
        "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, "
        "duration_ms, run_id, tool_version, runs FROM safe_migrate.seeds ORDER BY applied_at, id");
    for (const auto& row : r.rows) {
        AppliedSeed s;
        s.id = row[0].value_or("");
        s.environment = row[1].value_or("");
        s.checksum = row[2].value_or("");
        s.checksum_algorithm = row[3].value_or("");
        s.scale = std::stoi(row[4].value_or("1"));
        s.applied_at = row[5].value_or("");
        s.applied_by = row[6].value_or("");
        s.duration_ms = std::stoll(row[7].value_or("0"));
        s.run_id = row[8].value_or("");
        s.tool_version = row[9].value_or("");
        s.runs = std::stoi(row[10].value_or("1"));
        out.push_back(std::move(s));
    }
    return out;
}

void record_seed(db::Session& session, const AppliedSeed& row) {
    session.exec_params(
        "INSERT INTO safe_migrate.seeds (id, environment, checksum, checksum_algorithm, scale, "
        "applied_by, duration_ms, run_id, tool_version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (id) DO UPDATE SET environment = EXCLUDED.environment, "
        "checksum = EXCLUDED.checksum, checksum_algorithm = EXCLUDED.checksum_algorithm, "
        "scale = EXCLUDED.scale, applied_at = clock_timestamp(), "
        "applied_by = EXCLUDED.applied_by, duration_ms = EXCLUDED.duration_ms, "
        "run_id = EXCLUDED.run_id, tool_version = EXCLUDED.tool_version, "
        "runs = safe_migrate.seeds.runs + 1",
        {row.id, row.environment, row.checksum, row.checksum_algorithm, std::to_string(row.scale),
         row.applied_by, std::to_string(row.duration_ms), row.run_id, row.tool_version});
}

void forget_seed(db::Session& session, const std::string& id) {
    session.exec_params("DELETE FROM safe_migrate.seeds WHERE id = $1", {id});
}

}  // namespace sm::seed
