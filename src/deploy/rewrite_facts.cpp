// What rewrite's recipes ask the target: a column's type, NOT NULL, default,
// keys, indexes, checks and dependent views, an index's definition, and a
// function's volatility (read only).
#include "deploy/rewrite_facts.hpp"

#include <regex>

#include "core/sql_quote.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

constexpr const char* k_rewrite_column_sql =
    "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull::text, "
    "coalesce(pg_get_expr(d.adbin, d.adrelid), ''), "
    "(EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = a.attrelid "
    "AND a.attnum = ANY (c.conkey) AND c.contype IN ('p', 'u', 'x', 'f')) "
    "OR EXISTS (SELECT 1 FROM pg_constraint c WHERE c.confrelid = a.attrelid "
    "AND a.attnum = ANY (c.confkey)))::text, a.attnum::text "
    "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped";

constexpr const char* k_rewrite_indexes_sql =
    "SELECT ic.relname, i.indisunique::text, am.amname, "
    "(i.indexprs IS NULL AND i.indpred IS NULL AND i.indnkeyatts = i.indnatts "
    "AND ic.reloptions IS NULL)::text, "
    "(SELECT string_agg(att.attname, ',' ORDER BY k.ord) "
    "FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
    "JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = k.attnum) "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
    "JOIN pg_am am ON am.oid = ic.relam "
    "WHERE i.indrelid = to_regclass($1) AND EXISTS (SELECT 1 FROM pg_depend dep "
    "WHERE dep.classid = 'pg_class'::regclass AND dep.objid = i.indexrelid "
    "AND dep.refobjid = i.indrelid AND dep.refobjsubid = $2::int) ORDER BY ic.relname";

constexpr const char* k_rewrite_views_sql =
    "SELECT DISTINCT v.oid::regclass::text FROM pg_depend dep "
    "JOIN pg_rewrite r ON r.oid = dep.objid JOIN pg_class v ON v.oid = r.ev_class "
    "WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refobjid = to_regclass($1) "
    "AND dep.refobjsubid = $2::int AND v.oid <> dep.refobjid ORDER BY 1";

constexpr const char* k_rewrite_checks_sql =
    "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'c' "
    "AND $2::int2 = ANY (conkey) ORDER BY conname";

std::string regclass_text(const std::string& schema, const std::string& name) {
    return core::quote_ident(schema) + "." + core::quote_ident(name);
}

std::optional<planner::ColumnFacts> read_column_facts(db::Session& session,
                                                      const std::string& schema,
                                                      const std::string& table,
                                                      const std::string& column) {
    std::string rel = regclass_text(schema, table);
    auto r = session.exec_params(k_rewrite_column_sql, {rel, column});
    planner::ColumnFacts c;
    if (r.rows.empty()) {
        return c;  // exists = false
    }
    const db::Row& row = r.rows[0];
    c.exists = true;
    c.type = row[0].value_or("");
    c.not_null = row[1] == "true";
    c.default_sql = row[2].value_or("");
    c.key = row[3] == "true";
    for (const auto& i : session.exec_params(k_rewrite_indexes_sql, {rel, row[4]}).rows) {
        c.indexes.push_back({i[0].value_or(""), i[1] == "true", i[2].value_or(""),
                             util::split(i[4].value_or(""), ','), i[3] == "true"});
    }
    for (const auto& v : session.exec_params(k_rewrite_views_sql, {rel, row[4]}).rows) {
        c.views.push_back(v[0].value_or(""));
    }
    for (const auto& k : session.exec_params(k_rewrite_checks_sql, {rel, row[4]}).rows) {
        c.checks.push_back(k[0].value_or(""));
    }
    return c;
}

}  // namespace

planner::TargetFacts target_facts(db::Session& session) {
    planner::TargetFacts facts;
    facts.column = [&session](const std::string& schema, const std::string& table,
                              const std::string& column) {
        return read_column_facts(session, schema, table, column);
    };
    facts.index_def = [&session](const std::string& schema,
                                 const std::string& name) -> std::optional<std::string> {
        auto r = session.exec_params("SELECT pg_get_indexdef(to_regclass($1))",
                                     {regclass_text(schema, name)});
        if (r.rows.empty() || !r.rows[0][0]) {
            return std::nullopt;
        }
        static const std::regex k_create(R"(^CREATE (UNIQUE )?INDEX )");
        return std::regex_replace(*r.rows[0][0], k_create,
                                  "CREATE $1INDEX CONCURRENTLY IF NOT EXISTS ");
    };
    facts.function_volatile = [&session](const std::string& name) -> std::optional<bool> {
        auto r = session.exec_params(
            "SELECT bool_or(provolatile = 'v')::text FROM pg_proc WHERE proname = $1", {name});
        if (r.rows.empty() || !r.rows[0][0]) {
            return std::nullopt;
        }
        return *r.rows[0][0] == "true";
    };
    return facts;
}

}  // namespace sm::deploy
