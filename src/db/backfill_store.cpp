#include "db/backfill_store.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace sm::db {
namespace {

constexpr const char* k_backfill_ddl = R"sql(
CREATE TABLE IF NOT EXISTS safe_migrate.backfill (
    version         text        PRIMARY KEY,
    name            text        NOT NULL,
    change          text        NOT NULL DEFAULT '',
    table_name      text        NOT NULL,
    checksum        text        NOT NULL,
    last_key        text[],
    rows_done       bigint      NOT NULL DEFAULT 0,
    keys_done       bigint      NOT NULL DEFAULT 0,
    keys_total      bigint      NOT NULL DEFAULT 0,
    batches         bigint      NOT NULL DEFAULT 0,
    batch_size      integer     NOT NULL DEFAULT 0,
    rows_per_second double precision NOT NULL DEFAULT 0,
    state           text        NOT NULL DEFAULT 'running'
                                CHECK (state IN ('running', 'paused', 'done')),
    pause_requested boolean     NOT NULL DEFAULT false,
    paused_reason   text        NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz
))sql";

constexpr const char* k_backfill_columns =
    "version, name, change, table_name, checksum, coalesce(array_to_json(last_key)::text, ''), "
    "rows_done, keys_done, keys_total, batches, batch_size, rows_per_second, state, "
    "pause_requested, paused_reason, "
    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')";

int64_t as_int(const Value& v) {
    return v ? std::stoll(*v) : 0;
}

// ["1","x"] as JSON text from array_to_json -> its strings (keys have no quotes
// to escape in the common case; a backslash-escaped quote is kept as written).
std::vector<std::string> json_strings(const std::string& json) {
    std::vector<std::string> out;
    size_t i = 0;
    while ((i = json.find('"', i)) != std::string::npos) {
        std::string s;
        for (++i; i < json.size() && json[i] != '"'; ++i) {
            if (json[i] == '\\' && i + 1 < json.size()) {
                ++i;
            }
            s += json[i];
        }
        out.push_back(s);
        ++i;
    }
    return out;
}

BackfillRow backfill_row(const Row& r) {
    BackfillRow b;
    b.version = core::Version::parse(r[0] ? *r[0] : "").value_or(core::Version());
    b.name = r[1].value_or("");
    b.change = r[2].value_or("");
    b.table = r[3].value_or("");
    b.checksum = r[4].value_or("");
    b.last_key = json_strings(r[5].value_or(""));
    b.rows_done = as_int(r[6]);
    b.keys_done = as_int(r[7]);
    b.keys_total = as_int(r[8]);
    b.batches = as_int(r[9]);
    b.batch_size = static_cast<int>(as_int(r[10]));
    b.rows_per_second = r[11] ? std::stod(*r[11]) : 0;
    b.state = r[12].value_or("");
    b.pause_requested = r[13].value_or("f") == "t";
    b.paused_reason = r[14].value_or("");
    b.started_at = r[15].value_or("");
    b.updated_at = r[16].value_or("");
    b.finished_at = r[17].value_or("");
    return b;
}

}  // namespace

void ensure_backfill_table(Session& session) {
    session.exec(k_backfill_ddl);
}

std::vector<BackfillRow> read_backfills(Session& session) {
    if (session.exec("SELECT to_regclass('safe_migrate.backfill') IS NOT NULL").scalar() != "t") {
        return {};
    }
    auto result =
        session.exec(std::string("SELECT ") + k_backfill_columns + " FROM safe_migrate.backfill");
    std::vector<BackfillRow> out;
    for (const auto& r : result.rows) {
        out.push_back(backfill_row(r));
    }
    // Newest first, as versions order (the column is text).
    std::sort(out.begin(), out.end(),
              [](const BackfillRow& a, const BackfillRow& b) { return b.version < a.version; });
    return out;
}

std::optional<BackfillRow> read_backfill(Session& session, const core::Version& version) {
    auto result = session.exec_params(std::string("SELECT ") + k_backfill_columns +
                                          " FROM safe_migrate.backfill WHERE version = $1",
                                      {core::to_string(version)});
    if (result.empty()) {
        return std::nullopt;
    }
    return backfill_row(result.rows[0]);
}

void start_backfill(Session& session, const BackfillRow& row) {
    session.exec_params(
        "INSERT INTO safe_migrate.backfill (version, name, change, table_name, checksum, "
        "keys_total, batch_size) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, change = EXCLUDED.change, "
        "table_name = EXCLUDED.table_name, checksum = EXCLUDED.checksum, last_key = NULL, "
        "rows_done = 0, keys_done = 0, keys_total = EXCLUDED.keys_total, batches = 0, "
        "batch_size = EXCLUDED.batch_size, rows_per_second = 0, state = 'running', "
        "paused_reason = '', started_at = clock_timestamp(), updated_at = clock_timestamp(), "
        "finished_at = NULL",
        {core::to_string(row.version), row.name, row.change, row.table, row.checksum,
         std::to_string(row.keys_total), std::to_string(row.batch_size)});
}

void set_backfill_state(Session& session, const core::Version& version, const std::string& state,
                        const std::string& paused_reason, int batch_size, double rows_per_second) {
    session.exec_params(
        "UPDATE safe_migrate.backfill SET state = $2, paused_reason = $3, batch_size = $4, "
        "rows_per_second = $5, updated_at = clock_timestamp(), "
        "finished_at = CASE WHEN $2 = 'done' THEN clock_timestamp() END WHERE version = $1",
        {core::to_string(version), state, paused_reason, std::to_string(batch_size),
         std::to_string(rows_per_second)});
}

std::vector<BackfillRow> request_pause(Session& session,
                                       const std::optional<core::Version>& version, bool pause) {
    if (session.exec("SELECT to_regclass('safe_migrate.backfill') IS NOT NULL").scalar() != "t") {
        return {};
    }
    auto result = session.exec_params(
        std::string("UPDATE safe_migrate.backfill SET pause_requested = $1 "
                    "WHERE state <> 'done' AND ($2::text IS NULL OR version = $2) RETURNING ") +
            k_backfill_columns,
        {pause ? "true" : "false",
         version ? Value(core::to_string(*version)) : Value(std::nullopt)});
    std::vector<BackfillRow> out;
    for (const auto& r : result.rows) {
        out.push_back(backfill_row(r));
    }
    return out;
}

bool pause_requested(Session& session, const core::Version& version) {
    auto result = session.exec_prepared(
        "SELECT pause_requested FROM safe_migrate.backfill WHERE version = $1",
        {core::to_string(version)});
    return !result.empty() && result.scalar() == "t";
}

}  // namespace sm::db
