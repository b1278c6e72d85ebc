#pragma once
// The target's answers to rewrite's recipes (planner::TargetFacts), read
// through session, which must outlive the returned functions.

#include "db/session.hpp"
#include "planner/rewrite.hpp"

namespace sm::deploy {

// Reads only the catalogs; a query that fails throws db::DbError.
planner::TargetFacts target_facts(db::Session& session);

}  // namespace sm::deploy
