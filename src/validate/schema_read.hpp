#pragma once
// Reads a database's schema into a SchemaModel with catalog queries.
//
// Covers schemas, extensions, tables, columns (type, default, nullability,
// identity, generated expression, collation), constraints (definition,
// validity), indexes (definition, validity; not those backing a primary key,
// unique or exclusion constraint, which the constraint stands for), triggers,
// functions and procedures, views, materialized views, sequences and types
// (enums, domains, composites). Leaves out pg_catalog, information_schema,
// the pg_toast and temporary schemas, safe-migrate's own schema, and objects
// that belong to an extension.

#include <string>
#include <vector>

#include "db/session.hpp"
#include "validate/schema_model.hpp"

namespace sm::validate {

// Reads session's database in one read-only, repeatable-read transaction with
// search_path set to pg_catalog (so names print schema-qualified the same way
// whatever the server's settings). Changes nothing. Throws db::DbError
// when a query fails.
SchemaModel read_schema(db::Session& session);

// The names of the roles in session's cluster, except PostgreSQL's own
// (pg_*), so a throwaway database can have the same ones. Throws
// db::DbError.
std::vector<std::string> read_roles(db::Session& session);

}  // namespace sm::validate
