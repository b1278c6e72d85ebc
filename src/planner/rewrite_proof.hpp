#pragma once
// The proof of rewrite's steps (and of any migration marked
// `-- safe-migrate: unproven`): what plan --trace observed when the steps ran
// on a copy of the target's schema (executor/trace.hpp), judged. Pure.

#include <chrono>
#include <string>
#include <vector>

#include "core/script.hpp"
#include "core/trace.hpp"
#include "core/version.hpp"

namespace sm::planner {

// One step under proof: its version, how it is named in messages, its script.
struct ProofStep {
    core::Version version;
    std::string id;  // "20260101090000_orders_total_not_null_1_check"
    const core::Script* script = nullptr;
};

// Why steps are not proven safe, one line each naming the step, or empty when
// they are: a statement that failed on the copy; a statement that took ACCESS
// EXCLUSIVE on a table that existed before and rewrote or scanned it; a step
// that would run without a lock_timeout (its own directive, else
// default_lock_timeout, is zero). traced may hold statements of other
// versions (earlier pending migrations applied first): they are not judged.
std::vector<std::string> proof_problems(const std::vector<core::TracedStatement>& traced,
                                        const std::vector<ProofStep>& steps,
                                        std::chrono::milliseconds default_lock_timeout);

}  // namespace sm::planner
