#pragma once
// plan --trace: applies scripts on a throwaway copy of the target's schema and
// observes, after each statement, the locks this backend holds on relations
// that existed before (pg_locks) and which of them were rewritten
// (pg_class.relfilenode changed). Statements that cannot run in a transaction
// (CONCURRENTLY, VACUUM, ...) are run but not observed.

#include <cstdint>
#include <vector>

#include "core/script.hpp"
#include "core/trace.hpp"
#include "db/session.hpp"

namespace sm::executor {

struct TraceInput {
    core::Version version;
    const core::Script* script = nullptr;
};

// Runs every script in order on session (a sandbox database). A statement
// that fails is recorded with its error and ends the trace: what follows
// would run against the wrong schema.
std::vector<core::TracedStatement> trace_scripts(db::Session& session,
                                                 const std::vector<TraceInput>& scripts);

}  // namespace sm::executor
