#pragma once
// What plan --trace observed for one statement, as plain data (the executor
// observes it, the planner compares it with the prediction).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/version.hpp"

namespace sm::core {

// Rank of a pg_locks.mode, weakest first: 0 "AccessShareLock" ... 7
// "AccessExclusiveLock"; -1 for anything else.
inline int lock_mode_rank(const std::string& mode) {
    static const char* const k_modes[] = {
        "AccessShareLock", "RowShareLock",          "RowExclusiveLock", "ShareUpdateExclusiveLock",
        "ShareLock",       "ShareRowExclusiveLock", "ExclusiveLock",    "AccessExclusiveLock"};
    for (int i = 0; i < 8; ++i) {
        if (mode == k_modes[i]) {
            return i;
        }
    }
    return -1;
}

struct TracedStatement {
    Version version;
    int line = 0;
    bool observed =
        false;  // false: ran outside a transaction (CONCURRENTLY, VACUUM): not observable
    // Pre-existing relations locked by this statement -> strongest pg_locks mode
    // ("AccessExclusiveLock").
    std::map<std::string, std::string> locks;
    std::vector<std::string> rewritten;  // pre-existing relations whose relfilenode changed
    // Pre-existing tables it read in full (pg_stat_xact_user_tables.seq_scan grew).
    std::vector<std::string> scanned;
    std::optional<std::string> error;  // the statement failed: it would fail in production too
};

}  // namespace sm::core
