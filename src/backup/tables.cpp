#include "backup/tables.hpp"

namespace sm::backup {

std::vector<TableRef> list_tables(db::Session& session) {
    auto r = session.exec(
        "SELECT format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname !~ '^pg_(toast|temp)' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 2");
    std::vector<TableRef> tables;
    for (const auto& row : r.rows) {
        tables.push_back({row[0].value_or(""), row[1].value_or("")});
    }
    return tables;
}

int64_t count_rows(db::Session& session, const TableRef& table) {
    return std::stoll(session.exec("SELECT count(*) FROM " + table.quoted).scalar().value_or("0"));
}

}  // namespace sm::backup
