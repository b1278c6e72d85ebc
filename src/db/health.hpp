#pragma once
// Reads what status --tables and --health show (core/health.hpp): read-only
// catalog and statistics queries; nothing is created. Values the role may not
// read (another role's sessions, a sequence it cannot select) come back as the
// server shows them to it, or not at all.

#include <vector>

#include "core/health.hpp"
#include "db/session.hpp"

namespace sm::db {

using core::Health;
using core::LongSession;
using core::SequenceUse;
using core::StandbyLag;
using core::TableStats;

// The tables of the user schemas, ordered by schema and name. Throws DbError.
std::vector<TableStats> read_table_stats(Session& session);

// Throws DbError on failure.
Health read_health(Session& session);

}  // namespace sm::db
