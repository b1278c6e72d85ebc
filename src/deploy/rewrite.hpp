#pragma once
// safe-migrate rewrite: a migration file's dangerous statements turned into
// the migrations that make the same change online (planner/rewrite.hpp),
// proven on a copy of the target's schema with plan --trace's machinery, and
// written into the migrations directory; and the same proof for migrations
// marked `-- safe-migrate: unproven`, before plan or execute goes on.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "core/migration_source.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

struct RewriteRequest {
    const planner::Project* project = nullptr;
    std::filesystem::path file;          // the migration to rewrite; left untouched
    std::optional<core::Target> target;  // std::nullopt: no database, the steps are unproven
    bool write = false;                  // write the steps into the migrations directory
};

struct RewriteReport {
    std::string text;      // what rewrite prints
    std::string json;      // the same as one document with "result"
    bool refused = false;  // a recipe's proof failed (exit 4); nothing was written
};

// Reads request.file, builds each statement's recipe (reading the columns'
// facts from the target when there is one), proves every recipe on a copy of
// the target's schema (a throwaway cluster, as plan --trace), and with write
// puts the steps into the migrations directory, numbered after the newest
// version in the project's style (core::scaffold::next_versions: zero-padded
// integers stay so, timestamps stay timestamps), each with a down (none for
// a step nothing can undo, such as a DELETE). With no target the steps are
// marked unproven. A failed proof refuses its recipe with the reason and
// writes nothing. Throws sm::Error: invalid_input for a file that cannot be
// read or parsed, or --write in a layout other than native and golang-migrate
// (the two whose files it writes); db_unreachable when the target cannot be
// reached.
RewriteReport rewrite_file(const RewriteRequest& request);

// Proves the migrations of pending marked unproven: every pending migration up
// to the last of them is applied, in order, to a copy of target's schema, and
// the unproven ones are judged (planner/rewrite_proof.hpp). Does nothing when
// none is unproven. Throws sm::Error (policy) naming the step and the reason
// when the proof fails; nothing is applied to the target.
void prove_unproven(const planner::Project& project, const core::Target& target,
                    const std::vector<const core::Migration*>& pending);

}  // namespace sm::deploy
