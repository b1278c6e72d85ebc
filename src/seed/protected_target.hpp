#pragma once
// Targets known to be protected, recorded in the target itself
// (safe_migrate.protected_targets): whenever execute or seed runs against a
// protected environment, the target's system identifier and database name are
// recorded, so that destructive development commands (reset, seed clear) refuse
// that database later even when a config mislabels it as development.

#include <optional>
#include <string>

#include "core/config.hpp"
#include "db/session.hpp"

namespace sm::seed {

// When config's selected environment is protected, records the target's system
// identifier and database name (creating the table on first use; the
// safe_migrate schema must exist). Never throws: a failure is reported on
// stderr, and must not stop the command that is running.
void remember_if_protected(db::Session& session, const core::Config& config);

// The recorded protected target this database matches (same system identifier
// or same database name), described for a message ("database 'shop' on system
// 7312..., recorded for environment 'production' on ..."); nullopt when none.
// Throws DbError.
std::optional<std::string> protected_match(db::Session& session);

}  // namespace sm::seed
