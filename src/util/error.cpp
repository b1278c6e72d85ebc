#include "util/error.hpp"

namespace sm {

const char* exit_code_name(ExitCode code) {
    switch (code) {
        case ExitCode::ok:
            return "ok";
        case ExitCode::failure:
            return "failure";
        case ExitCode::usage:
            return "usage";
        case ExitCode::invalid_input:
            return "invalid_input";
        case ExitCode::policy:
            return "policy";
        case ExitCode::db_unreachable:
            return "db_unreachable";
        case ExitCode::lock_busy:
            return "lock_busy";
        case ExitCode::backup_failed:
            return "backup_failed";
        case ExitCode::refused:
            return "refused";
        case ExitCode::pending:
            return "pending";
        case ExitCode::drift:
            return "drift";
        case ExitCode::interrupted:
            return "interrupted";
    }
    return "unknown";
}

}  // namespace sm
