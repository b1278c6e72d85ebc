#pragma once
// The schema a list of migrations produces, built where it cannot hurt: a
// throwaway PostgreSQL cluster (sandbox/cluster.hpp) started for the purpose
// and removed afterwards.

#include <map>
#include <string>
#include <vector>

#include "core/script.hpp"
#include "validate/history_check.hpp"
#include "validate/schema_model.hpp"

namespace sm::validate {

// Starts a throwaway cluster, creates roles (NOLOGIN, so GRANTs and OWNER TO
// in the migrations work), creates a database and runs steps in order, each
// from scripts (by version): a transactional script in one transaction, any
// other statement by statement. Reads the result with read_schema and stops
// the cluster, also on failure. The model's head and versions name the steps.
// Steps without a script are skipped. Throws sm::Error (failure) naming the
// migration and line when a statement fails, or when the cluster cannot start.
// Under a util::InterruptGuard, SIGINT/SIGTERM cancel the running statement and
// stop it between steps with sm::Error (interrupted); the cluster is stopped
// and its directory removed however it ends (a second signal excepted: it
// exits at once).
SchemaModel build_expected_schema(const std::vector<AppliedStep>& steps,
                                  const std::map<core::Version, core::Script>& scripts,
                                  const std::vector<std::string>& roles);

// Throws sm::Error (interrupted) "interrupted by SIGINT while <during>" once
// SIGINT or SIGTERM arrived under a util::InterruptGuard; else does nothing.
void stop_if_interrupted(const std::string& during);

}  // namespace sm::validate
