#pragma once
// safe-migrate backfill status | pause | resume: the backfills of a target
// (executor/backfill.hpp), read and flagged through the database, so any
// terminal can watch or hold the runner of another.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/conninfo.hpp"

namespace sm::deploy {

// What the command prints: the JSON document ("result" first), or text (lines).
struct BackfillReport {
    std::string json;
    std::string text;
};

// Runs action ("status", "pause" or "resume") against target: status lists every backfill (or
// version's); pause and resume flag every unfinished backfill (or version's), which its runner
// reads before its next batch. Throws sm::Error: db_unreachable, invalid_input when version names
// no backfill the target knows of.
BackfillReport backfill_admin(const core::Target& target, const core::Config& config,
                              const std::string& action, std::optional<int64_t> version);

}  // namespace sm::deploy
