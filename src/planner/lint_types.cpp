#include "planner/lint_types.hpp"

#include "core/trace.hpp"

namespace sm::planner {

const char* severity_name(Severity s) {
    switch (s) {
        case Severity::off:
            return "off";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "off";
}

const char* lock_name(LockLevel l) {
    switch (l) {
        case LockLevel::none:
            return "none";
        case LockLevel::access_share:
            return "ACCESS SHARE";
        case LockLevel::row_share:
            return "ROW SHARE";
        case LockLevel::row_exclusive:
            return "ROW EXCLUSIVE";
        case LockLevel::share_update_exclusive:
            return "SHARE UPDATE EXCLUSIVE";
        case LockLevel::share:
            return "SHARE";
        case LockLevel::share_row_exclusive:
            return "SHARE ROW EXCLUSIVE";
        case LockLevel::exclusive:
            return "EXCLUSIVE";
        case LockLevel::access_exclusive:
            return "ACCESS EXCLUSIVE";
    }
    return "none";
}

const char* lock_short(LockLevel l) {
    switch (l) {
        case LockLevel::none:
            return "-";
        case LockLevel::access_share:
            return "AS";
        case LockLevel::row_share:
            return "RS";
        case LockLevel::row_exclusive:
            return "RE";
        case LockLevel::share_update_exclusive:
            return "SUE";
        case LockLevel::share:
            return "SHR";
        case LockLevel::share_row_exclusive:
            return "SRE";
        case LockLevel::exclusive:
            return "EXC";
        case LockLevel::access_exclusive:
            return "AE";
    }
    return "-";
}

const char* lock_blocks(LockLevel l) {
    switch (l) {
        case LockLevel::none:
            return "nothing";
        case LockLevel::access_share:
            return "only ACCESS EXCLUSIVE (DDL that rewrites or drops)";
        case LockLevel::row_share:
            return "EXCLUSIVE and ACCESS EXCLUSIVE";
        case LockLevel::row_exclusive:
            return "only DDL";
        case LockLevel::share_update_exclusive:
            return "only DDL, VACUUM, ANALYZE, index builds";
        case LockLevel::share:
        case LockLevel::share_row_exclusive:
            return "all writes";
        case LockLevel::exclusive:
            return "all writes; reads continue";
        case LockLevel::access_exclusive:
            return "everything, plain SELECT included";
    }
    return "nothing";
}

LockLevel lock_from_mode(const std::string& mode) {
    // LockLevel lists the modes weakest first after none, as lock_mode_rank ranks them.
    int rank = core::lock_mode_rank(mode);
    return rank < 0 ? LockLevel::none : static_cast<LockLevel>(rank + 1);
}

}  // namespace sm::planner
