#pragma once
// What the target records about seeds, in the safe_migrate schema:
//
//   seeds   one row per applied seed, written in the seed's own transaction (so
//           it exists exactly when the seed's data does): checksum, environment,
//           scale, when, by whom, how long, how many times it ran

#include <cstdint>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::seed {

struct AppliedSeed {
    std::string id;
    std::string environment;
    std::string checksum;
    std::string checksum_algorithm;
    int scale = 1;
    std::string applied_at;  // ISO 8601, UTC
    std::string applied_by;
    int64_t duration_ms = 0;
    std::string run_id;
    std::string tool_version;
    int runs = 1;  // a re-runnable seed counts its runs
};

// Applied seeds ordered by when they were applied; empty when the table does
// not exist.
std::vector<AppliedSeed> read_applied_seeds(db::Session& session);

// Records a run of a seed (insert, or update when it ran before); run by the
// caller inside the seed's transaction.
void record_seed(db::Session& session, const AppliedSeed& row);

// Forgets a seed; run inside its rollback's transaction.
void forget_seed(db::Session& session, const std::string& id);

}  // namespace sm::seed
