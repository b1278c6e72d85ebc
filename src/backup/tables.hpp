#pragma once
// The tables whose data a dump holds, and their exact row counts: recorded in
// the manifest at backup time, compared after a restore.

#include <cstdint>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::backup {

struct TableRef {
    std::string quoted;  // for SQL: "public"."Order Lines"
    std::string name;    // schema.table, as the manifest records it
};

// Ordinary tables outside the system schemas, minus extension members (pg_dump
// does not dump their data), sorted by name.
std::vector<TableRef> list_tables(db::Session& session);

// SELECT count(*) of the table. Throws DbError.
int64_t count_rows(db::Session& session, const TableRef& table);

}  // namespace sm::backup
