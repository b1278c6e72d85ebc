#include "planner/rewrite_proof.hpp"

#include <algorithm>

namespace sm::planner {
namespace {

const ProofStep* proof_step_of(const std::vector<ProofStep>& steps, const core::Version& version) {
    for (const auto& s : steps) {
        if (s.version == version) {
            return &s;
        }
    }
    return nullptr;
}

bool proof_lists(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::vector<std::string> proof_problems(const std::vector<core::TracedStatement>& traced,
                                        const std::vector<ProofStep>& steps,
                                        std::chrono::milliseconds default_lock_timeout) {
    std::vector<std::string> problems;
    for (const auto& s : steps) {
        if (s.script->lock_timeout.value_or(default_lock_timeout).count() <= 0) {
            problems.push_back(s.id + " would run without a lock_timeout");
        }
    }
    for (const auto& t : traced) {
        const ProofStep* s = proof_step_of(steps, t.version);
        if (s == nullptr) {
            continue;
        }
        std::string where = s->id + " line " + std::to_string(t.line);
        if (t.error) {
            problems.push_back(where + " fails on a copy of the target's schema: " + *t.error);
            continue;
        }
        for (const auto& [relation, mode] : t.locks) {
            if (mode != "AccessExclusiveLock") {
                continue;
            }
            if (proof_lists(t.rewritten, relation)) {
                problems.push_back(where);
                problems.back()
                    .append(" rewrites ")
                    .append(relation)
                    .append(" under ACCESS EXCLUSIVE");
            } else if (proof_lists(t.scanned, relation)) {
                problems.push_back(where);
                problems.back().append(" scans ").append(relation).append(
                    " under ACCESS EXCLUSIVE");
            }
        }
    }
    return problems;
}

}  // namespace sm::planner
