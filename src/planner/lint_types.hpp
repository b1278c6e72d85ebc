#pragma once
// What the linter produces: findings, with the facts a reviewer needs (the lock,
// what it blocks, the table work, the safe alternative).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::planner {

enum class Severity { off, warning, error };
const char* severity_name(Severity s);  // "off", "warning", "error"

// PostgreSQL table lock levels, weakest first.
enum class LockLevel {
    none,
    access_share,
    row_share,
    row_exclusive,
    share_update_exclusive,
    share,
    share_row_exclusive,
    exclusive,
    access_exclusive,
};
const char* lock_name(LockLevel l);    // "ACCESS EXCLUSIVE"
const char* lock_short(LockLevel l);   // "AE"
const char* lock_blocks(LockLevel l);  // "everything, plain SELECT included"
// From pg_locks.mode ("AccessExclusiveLock"); LockLevel::none when unknown.
LockLevel lock_from_mode(const std::string& mode);

// A rule as the catalog describes it.
struct RuleInfo {
    const char* id;
    Severity default_severity;
    const char* summary;      // one line: what it flags
    LockLevel lock;           // the lock the flagged statement takes
    const char* lock_detail;  // e.g. "SHARE ROW EXCLUSIVE on both tables"
    const char* table_work;   // "rewrite", "full scan", "none", ...
    const char* alternative;  // the safe way
};

// A suppression written in a file: -- safe-migrate: allow <rule> reason="..."
struct Suppression {
    std::filesystem::path file;
    int line = 0;
    std::string rule;
    std::string reason;
    bool whole_file = false;
    bool used = false;
};

struct Finding {
    std::string_view rule;  // catalog id, or "syntax-error" (static strings only)
    Severity severity = Severity::error;
    std::filesystem::path file;
    int line = 0;
    int column = 0;
    std::string statement;  // the statement's text
    int caret = 0;          // character offset in the statement's first line to point at
    std::string message;    // one line, specific to this statement
    LockLevel lock = LockLevel::none;
    // The rule's catalog text (static strings, never copied: a big run holds
    // hundreds of thousands of findings).
    std::string_view lock_detail;
    std::string_view table_work;
    std::string_view alternative;
    std::string rewrite;              // a concrete safer statement, when one exists
    std::vector<std::string> tables;  // tables the statement touches ("public.orders")
    std::optional<Suppression> suppressed_by;
    std::string satisfied_by_index;  // see EmitExtras (internal; not printed)
};

}  // namespace sm::planner
