#include "executor/reset_schemas.hpp"

#include <chrono>
#include <map>

#include "core/sql_quote.hpp"
#include "db/transaction.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"

namespace sm::executor {
namespace {

// How long dropping the schemas waits for a lock (a development database: a
// session of the developer's may still be reading).
constexpr std::chrono::milliseconds k_drop_lock_timeout{10000};

// The extensions in schema, or owning objects in it, by name.
std::vector<std::string> extensions_in(db::Session& session, const std::string& schema) {
    auto r = session.exec_params(
        "SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE n.nspname = $1 "
        "UNION "
        "SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid "
        "CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o "
        "WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' "
        "AND o.schema = $1 "
        "ORDER BY 1",
        {schema});
    std::vector<std::string> names;
    for (const auto& row : r.rows) {
        names.push_back(row[0].value_or(""));
    }
    return names;
}

// The SQL that recreates public as it is now: owner, comment, privileges.
std::string recreate_public_sql(db::Session& session) {
    auto owner = session.exec(
        "SELECT quote_ident(pg_get_userbyid(nspowner)), "
        "coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
        "WHERE nspname = 'public'");
    auto grants = session.exec(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
        "END, a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a "
        "WHERE n.nspname = 'public'");
    std::string sql = " CREATE SCHEMA public";
    if (!owner.empty()) {
        sql += " AUTHORIZATION " + owner.rows[0][0].value_or("CURRENT_USER") + ";";
        sql += " COMMENT ON SCHEMA public IS " +
               core::quote_literal(owner.rows[0][1].value_or("")) + ";";
    } else {
        sql += ";";
    }
    for (const auto& row : grants.rows) {
        sql += " GRANT " + row[1].value_or("USAGE") + " ON SCHEMA public TO " +
               row[0].value_or("PUBLIC") + ";";
    }
    return sql;
}

// Runs the dropping transaction's SQL; on any error it is rolled back.
void run_drop(db::Session& session, const std::string& sql) {
    try {
        util::ScopedCancelHook hook([&session] { session.cancel(); });
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted, "reset interrupted before dropping the schemas",
                        "Nothing was dropped.");
        }
        session.exec(sql);
    } catch (const db::DbError& e) {
        db::rollback_quietly(session);
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted, "reset interrupted while dropping the schemas",
                        "Its transaction was rolled back; nothing was dropped.");
        }
        throw Error(e.connection_lost() ? ExitCode::db_unreachable : ExitCode::failure,
                    "reset could not drop the schemas: " + util::redact_text(e.what()),
                    "Its transaction was rolled back; nothing was dropped.");
    } catch (...) {
        db::rollback_quietly(session);
        throw;
    }
}

}  // namespace

void refuse_foreign_extensions(db::Session& session, const std::set<std::string>& schemas,
                               const std::set<std::string>& extensions) {
    std::map<std::string, std::vector<std::string>> found;  // extension -> schemas
    for (const auto& schema : schemas) {
        for (const auto& name : extensions_in(session, schema)) {
            if (extensions.count(name) == 0) {
                found[name].push_back(schema);
            }
        }
    }
    if (found.empty()) {
        return;
    }
    std::vector<std::string> listed;
    listed.reserve(found.size());
    for (const auto& [extension, in] : found) {
        listed.push_back(extension + " (schema" + (in.size() > 1 ? "s " : " ") +
                         util::join(in, ", ") + ")");
    }
    throw Error(ExitCode::refused,
                "reset refused: schemas it would drop hold extensions that no migration "
                "creates: " +
                    util::join(listed, ", "),
                "Nothing was dropped. Dropping the schema would drop the extension and "
                "everything that uses it, and the migrations would not bring it back. Create it "
                "in a migration (CREATE EXTENSION IF NOT EXISTS ...), or move it to a schema of "
                "its own (ALTER EXTENSION ... SET SCHEMA ...), then run reset again.");
}

std::vector<std::string> drop_schemas(db::Session& session, const std::set<std::string>& schemas) {
    std::vector<std::string> existing;
    for (const auto& name : schemas) {
        if (!session.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", {name}).empty()) {
            existing.push_back(name);
        }
    }
    std::string sql =
        "BEGIN; " +
        db::set_timeouts_sql(k_drop_lock_timeout, std::nullopt, db::SettingScope::transaction) +
        ";";
    if (!existing.empty()) {
        std::vector<std::string> quoted;
        quoted.reserve(existing.size());
        for (const auto& name : existing) {
            quoted.push_back(core::quote_ident(name));
        }
        sql += " DROP SCHEMA " + util::join(quoted, ", ") + " CASCADE;";
    }
    sql += recreate_public_sql(session);
    sql +=
        " DELETE FROM safe_migrate.history; DELETE FROM safe_migrate.progress;"
        " DELETE FROM safe_migrate.seeds;";
    sql += " COMMIT";
    run_drop(session, sql);
    return existing;
}

}  // namespace sm::executor
