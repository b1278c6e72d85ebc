#pragma once
// What reset does to the target's catalog: refuse extensions it would lose,
// and drop the project's schemas with the history that recorded them.

#include <set>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::executor {

// Throws sm::Error (refused, "Nothing was dropped.") when one of schemas holds
// an extension, or objects of an extension, that is not in extensions (the
// extensions the migrations create): dropping the schema would drop the
// extension (installed by hand or by the platform) and everything that uses
// it, and the migrations would not bring it back. Changes nothing. Throws
// DbError when the catalog cannot be read.
void refuse_foreign_extensions(db::Session& session, const std::set<std::string>& schemas,
                               const std::set<std::string>& extensions);

// In one transaction: drops the schemas (those that exist, CASCADE), recreates
// public with its owner, comment and privileges as they were, and deletes the
// rows of safe_migrate's history, progress and seeds (the tables must exist;
// events and protected_targets are kept). Returns the schemas dropped. Throws
// sm::Error: interrupted (SIGINT/SIGTERM cancel the statement), db_unreachable
// (connection lost) or failure; on any error nothing was changed.
std::vector<std::string> drop_schemas(db::Session& session, const std::set<std::string>& schemas);

}  // namespace sm::executor
