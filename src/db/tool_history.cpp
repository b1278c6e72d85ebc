#include "db/tool_history.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/identity.hpp"
#include "db/transaction.hpp"
#include "util/redact.hpp"

namespace sm::db {
namespace {

using core::Layout;

std::optional<core::Version> version_in(const std::string& text) {
    return core::Version::parse(text);
}

bool table_exists(Session& session, const std::string& table) {
    return session.exec_params("SELECT to_regclass($1) IS NOT NULL", {table}).scalar() == "t";
}

bool has_column(Session& session, const std::string& table, const std::string& column) {
    return session
               .exec_params(
                   "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1) "
                   "AND attname = $2 AND NOT attisdropped",
                   {table, column})
               .scalar() == "1";
}

// Adds each row's first value as a version; a value that is not one is a refusal.
void add_versions(const QueryResult& result, ToolHistory& h, const char* what = "version") {
    for (const auto& row : result.rows) {
        std::string v = row[0].value_or("");
        if (auto n = version_in(v)) {
            h.applied.push_back(*n);
        } else {
            h.refusals.push_back(std::string(what) + " '" + v + "' is not a version");
        }
    }
}

void read_golang_migrate(Session& session, ToolHistory& h) {
    auto rows = session.exec("SELECT version::text, dirty FROM schema_migrations").rows;
    if (rows.size() > 1) {
        h.refusals.push_back("schema_migrations holds " + std::to_string(rows.size()) +
                             " rows; golang-migrate keeps one");
        return;
    }
    for (const auto& row : rows) {
        std::string v = row[0].value_or("");
        if (row[1] == "t") {
            h.refusals.push_back("version " + v +
                                 " is dirty (it failed midway: fix the database, then run "
                                 "`migrate force VERSION` with the version it is really at)");
            continue;
        }
        if (auto n = version_in(v)) {
            h.applied.push_back(*n);
            h.up_to = true;
        }
    }
}

void read_goose(Session& session, ToolHistory& h) {
    // goose's own first row is version 0; the latest row of a version says where it stands.
    add_versions(session.exec("SELECT version_id::text FROM (SELECT DISTINCT ON (version_id) "
                              "version_id, is_applied FROM goose_db_version ORDER BY version_id, "
                              "id DESC) latest WHERE is_applied AND version_id <> 0 "
                              "ORDER BY version_id"),
                 h);
}

void read_prisma(Session& session, ToolHistory& h) {
    auto rows = session.exec(
        "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL "
        "FROM _prisma_migrations ORDER BY started_at, migration_name");
    std::set<core::Version> applied;
    for (const auto& row : rows.rows) {
        std::string name = row[0].value_or("");
        bool finished = row[1] == "t";
        bool rolled_back = row[2] == "t";
        if (rolled_back) {
            continue;
        }
        if (!finished) {
            h.refusals.push_back("migration " + name +
                                 " failed (finished_at is null and it was not rolled back: "
                                 "run `prisma migrate resolve` first)");
            continue;
        }
        auto n = version_in(name.substr(0, name.find('_')));
        if (!n) {
            h.refusals.push_back("migration " + name + " has no <timestamp>_ prefix");
            continue;
        }
        applied.insert(*n);
    }
    h.applied.assign(applied.begin(), applied.end());
}

void read_flyway(Session& session, ToolHistory& h) {
    auto rows = session.exec(
        "SELECT version, type, success, script FROM flyway_schema_history "
        "ORDER BY installed_rank");
    std::set<core::Version> applied;
    for (const auto& row : rows.rows) {
        std::string script = row[3].value_or("");
        if (row[2] != "t") {
            h.refusals.push_back("migration " + script + " failed (success = false)");
            continue;
        }
        if (!row[0]) {
            continue;  // repeatable migrations have no version
        }
        auto n = version_in(*row[0]);
        if (!n) {
            h.refusals.push_back("version " + *row[0] + " (" + script + ") is not a version");
            continue;
        }
        if (row[1] == "SQL") {
            applied.insert(*n);
        } else if (row[1] == "UNDO_SQL") {
            applied.erase(*n);
        } else if (row[1] == "BASELINE") {
            h.baseline = std::max(h.baseline.value_or(*n), *n);
        }
    }
    h.applied.assign(applied.begin(), applied.end());
}

}  // namespace

const char* tool_history_table(Layout tool) {
    switch (tool) {
        case Layout::flyway:
            return "flyway_schema_history";
        case Layout::goose:
            return "goose_db_version";
        case Layout::diesel:
            return "__diesel_schema_migrations";
        case Layout::prisma:
            return "_prisma_migrations";
        default:
            return "schema_migrations";  // dbmate and golang-migrate
    }
}

std::optional<ToolHistory> read_tool_history(Session& session, Layout tool) {
    ToolHistory h;
    h.table = tool_history_table(tool);
    if (tool == Layout::native || !table_exists(session, h.table)) {
        return std::nullopt;
    }
    // dbmate and golang-migrate share the table name; golang-migrate's has `dirty`.
    bool dirty_column = has_column(session, h.table, "dirty");
    if (tool == Layout::dbmate && dirty_column) {
        h.refusals.push_back(
            "schema_migrations has golang-migrate's columns (version, dirty), "
            "not dbmate's");
        return h;
    }
    if (tool == Layout::golang_migrate && !dirty_column) {
        h.refusals.push_back("schema_migrations has no dirty column: it is not golang-migrate's");
        return h;
    }
    switch (tool) {
        case Layout::dbmate:
            add_versions(session.exec("SELECT version FROM schema_migrations ORDER BY version"), h);
            break;
        case Layout::golang_migrate:
            read_golang_migrate(session, h);
            break;
        case Layout::goose:
            read_goose(session, h);
            break;
        case Layout::diesel:
            add_versions(session.exec("SELECT version FROM __diesel_schema_migrations "
                                      "ORDER BY version"),
                         h);
            break;
        case Layout::prisma:
            read_prisma(session, h);
            break;
        default:
            read_flyway(session, h);
            break;
    }
    std::sort(h.applied.begin(), h.applied.end());
    h.applied.erase(std::unique(h.applied.begin(), h.applied.end()), h.applied.end());
    return h;
}

std::optional<Layout> find_tool_history(Session& session) noexcept {
    try {
        for (Layout tool : {Layout::flyway, Layout::dbmate, Layout::golang_migrate, Layout::goose,
                            Layout::diesel, Layout::prisma}) {
            std::string table = tool_history_table(tool);
            if (!table_exists(session, table)) {
                continue;
            }
            if (table == "schema_migrations") {
                return has_column(session, table, "dirty") ? Layout::golang_migrate
                                                           : Layout::dbmate;
            }
            return tool;
        }
    } catch (const std::exception&) {
        // the hint is a courtesy: a failed look-up gives none
    }
    return std::nullopt;
}

void record_adopted(Session& session, const std::vector<AppliedMigration>& rows,
                    const Event& event) {
    in_transaction(session, [&] {
        for (const auto& row : rows) {
            insert_history_row(session, row);
        }
        session.exec_params(
            "INSERT INTO safe_migrate.events (run_id, kind, version, actor, message) "
            "VALUES ($1, $2, $3, $4, $5)",
            {event.run_id, event.kind, event.version ? Value{event.version->text()} : Value{},
             Value{core::actor()}, util::redact_text(event.message)});
    });
}

}  // namespace sm::db
