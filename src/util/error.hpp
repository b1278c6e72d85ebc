#pragma once
// The one error type commands throw, and the exit codes it carries.
//
// Exit codes are part of the interface: pipelines branch on them, so a value
// never changes meaning. README.md documents the same table.

#include <stdexcept>
#include <string>

namespace sm {

enum class ExitCode : int {
    ok = 0,              // success; for status: up to date, nothing pending or drifted
    failure = 1,         // the operation failed (e.g. a migration failed and was rolled back)
    usage = 2,           // bad command line: unknown command or option, missing argument
    invalid_input = 3,   // bad configuration or migration sources; nothing was applied
    policy = 4,          // refused by policy (e.g. lint errors, a blocked plan)
    db_unreachable = 5,  // could not connect to the target database
    lock_busy = 6,       // another runner holds the migration lock past --lock-wait
    backup_failed = 7,   // a backup or restore failed
    refused = 8,         // the target is unsuitable (standby, protected environment, ...)
    pending = 10,        // status: migrations are pending (and nothing drifted)
    drift = 11,          // history and files disagree: changed, missing, partial migrations
    interrupted = 130,   // stopped by SIGINT/SIGTERM; the running migration was rolled back
};

// Stable name of an exit code, used in JSON output ("lock_busy").
const char* exit_code_name(ExitCode code);

class Error : public std::runtime_error {
  public:
    // message: lower-case, no final period (printed after "safe-migrate: error: ").
    // hint: optional full sentence printed after "hint: ".
    Error(ExitCode code, const std::string& message, std::string hint = {})
        : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

    ExitCode code() const { return m_code; }
    const std::string& hint() const { return m_hint; }

  private:
    ExitCode m_code;
    std::string m_hint;
};

}  // namespace sm
