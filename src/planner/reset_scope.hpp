#pragma once
// What reset owns in a target, read from the project's migrations with
// PostgreSQL's parser (so text in strings and comments does not count). Pure:
// no I/O.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "core/script.hpp"
#include "core/version.hpp"

namespace sm::planner {

// What the project's migrations own in the target.
struct ResetScope {
    std::set<std::string> schemas;     // public and every schema a migration creates
    std::set<std::string> extensions;  // every extension a migration creates
};

// The schemas and extensions the up scripts create: public; every schema of a
// CREATE SCHEMA (CREATE SCHEMA AUTHORIZATION bob: bob) or the new name of an
// ALTER SCHEMA ... RENAME TO; every extension of a CREATE EXTENSION. Schemas a
// script merely references (a FOREIGN KEY to auth.users) are not included, nor
// ever safe_migrate, information_schema or pg_*. Statements that do not parse
// are skipped (loading the project reported them). Never throws for SQL.
ResetScope reset_scope(const std::map<core::Version, core::Script>& up);

}  // namespace sm::planner
