#pragma once
// Migration sources on disk, in the native layout:
//
//   <dir>/<version>_<name>.up.sql     required
//   <dir>/<version>_<name>.down.sql   optional, undoes the up
//
// version is a non-negative integer (a sequence or a timestamp), ordered
// numerically; name is letters, digits, '_' and '-'. Other files and
// subdirectories are ignored, except *.sql files whose names do not parse,
// which are errors. Header directives are SQL comments at the top of a file:
//
//   -- safe-migrate: no-transaction
//   -- safe-migrate: lock-timeout=5s
//   -- safe-migrate: statement-timeout=30min
//   -- safe-migrate: phase=expand|backfill|contract   (default expand)
//   -- safe-migrate: change=NAME   (ties the migrations of one change together)
//   -- safe-migrate: requires=V1,V2   (migrations applied before this one;
//                                      planner/dependencies.hpp resolves them)
//   -- safe-migrate: unproven      (written by rewrite without a database: plan and
//                                   execute prove it on a copy of the schema first)
//
// and `-- safe-migrate: allow <rule> reason="..."` anywhere (used by the linter).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/version.hpp"

namespace sm::core {

// A suppression of a lint rule, as written in a file.
struct AllowDirective {
    int line = 0;
    std::string rule;
    std::string reason;
    bool whole_file = false;  // written in the header, before any statement
};

// The phase of an online change a migration belongs to: execute applies
// expand and backfill migrations by default and contract ones with
// --through contract (deploy/phases.hpp).
enum class Phase { expand, backfill, contract };

// "expand", "backfill", "contract".
const char* phase_name(Phase phase);

// The phase a name gives, or std::nullopt for any other text.
std::optional<Phase> parse_phase(std::string_view name);

// Settings a file asks for through its header directives.
struct FileDirectives {
    bool no_transaction = false;
    std::optional<std::chrono::milliseconds> lock_timeout;
    std::optional<std::chrono::milliseconds> statement_timeout;
    Phase phase = Phase::expand;
    std::string change;  // change=NAME; "" when the file names none
    // requires=A,B: the migrations this one needs, as written, and the line.
    std::vector<std::string> required;
    int required_line = 0;
    bool unproven = false;  // its locks are proven before it is applied (deploy/rewrite.hpp)
    std::vector<AllowDirective> allows;
};

struct MigrationFile {
    std::filesystem::path path;
    std::string content;   // the bytes as read
    std::string checksum;  // migration_checksum(content)
    FileDirectives directives;
};

struct Migration {
    Version version;
    std::string name;
    MigrationFile up;
    std::optional<MigrationFile> down;

    // "20260101090000_create_users"
    std::string id() const;
};

// All migrations of a directory, sorted by version.
struct MigrationSet {
    std::filesystem::path dir;
    std::vector<Migration> migrations;

    const Migration* find(const Version& version) const;
};

// A problem in the sources, with the file and (where it applies) the line.
struct SourceProblem {
    std::filesystem::path file;
    int line = 0;  // 0: the whole file
    std::string message;

    std::string describe() const;  // "migrations/1_a.up.sql:3: unknown directive 'foo'"
};

// Parses the directives of one file, appending problems (unknown directive,
// bad value, misplaced directive). content may be a piece of the file that
// starts at first_line; header says whether it is the file's header (where
// settings directives belong) or text between statements (allow only).
FileDirectives parse_directives(const std::filesystem::path& file, const std::string& content,
                                std::vector<SourceProblem>& problems, int first_line = 1,
                                bool header = true);

// Reads and checks one file: UTF-8, not empty, directives. Appends problems.
MigrationFile read_migration_file(const std::filesystem::path& path,
                                  std::vector<SourceProblem>& problems);

// Checks content as read_migration_file checks a file's bytes, for path: a
// file's text, or a part of one (layout.hpp). Appends problems.
MigrationFile migration_file(const std::filesystem::path& path, std::string content,
                             std::vector<SourceProblem>& problems);

// Loads every migration in dir. Checks names, duplicate versions, downs
// without ups, empty files, invalid UTF-8 and directives, and throws one
// sm::Error (invalid_input) listing every problem found; nothing partial is
// returned.
MigrationSet load_migrations(const std::filesystem::path& dir);

// Like load_migrations, but appends problems instead of throwing (a missing
// directory still throws), so callers can add their own findings and report
// everything at once.
MigrationSet load_migrations(const std::filesystem::path& dir,
                             std::vector<SourceProblem>& problems);

// Throws sm::Error (invalid_input) listing problems, if there are any.
void throw_if_problems(const std::vector<SourceProblem>& problems, const std::string& what);

}  // namespace sm::core
