#pragma once
// Facts about the target that plan records and execute --plan checks.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/target.hpp"
#include "db/session.hpp"

namespace sm::db {

using core::TableSize;
using core::TargetIdentity;

// Throws sm::Error (refused) when the target is a standby (in recovery):
// migrations run against the primary.
void refuse_standby(Session& session);

// Throws DbError on failure.
TargetIdentity read_identity(Session& session);

// Sizes of the named tables ("schema.table"); tables that do not exist are
// returned with exists = false.
std::map<std::string, TableSize> read_table_sizes(Session& session,
                                                  const std::vector<std::string>& tables);

}  // namespace sm::db
