#pragma once
// Migration directories in other tools' layouts, read into the same MigrationSet
// as the native one (migration_source.hpp), so every command reads them alike:
//
//   native          <ver>_<name>.up.sql, <ver>_<name>.down.sql
//   flyway          V<ver>__<desc>.sql, U<ver>__<desc>.sql (the undo, as the down);
//                   V<ver>__<desc>.sql.conf with executeInTransaction=false;
//                   R__ repeatable files are reported as unsupported; dotted
//                   versions (V1.2.10__; V1_2__ is 1.2) are ordered as Flyway
//                   orders them (version.hpp); subfolders are read, as Flyway does
//   dbmate          <ver>_<name>.sql, sections `-- migrate:up [transaction:false]`
//                   and `-- migrate:down`
//   golang-migrate  <ver>_<name>.up.sql, <ver>_<name>.down.sql
//   goose           <ver>_<name>.sql, sections `-- +goose Up` and `-- +goose Down`,
//                   `-- +goose NO TRANSACTION`; StatementBegin/End are comments to
//                   PostgreSQL's scanner, which splits statements correctly without
//                   them; .go migrations are reported as unsupported
//   diesel          <version>_<name>/up.sql, down.sql, metadata.toml with
//                   run_in_transaction = false; the version is the digits of the
//                   directory name before its first '_' (2024-01-31-120000 ->
//                   20240131120000), as diesel stores it
//   prisma          <timestamp>_<name>/migration.sql, no downs
//
// A section (dbmate, goose) becomes a MigrationFile whose content is the file
// up to the section's last line with every other line emptied: line and
// column numbers stay those of the file, and editing another section does not
// change the section's checksum. A tool's no-transaction marker sets
// FileDirectives::no_transaction, as `-- safe-migrate: no-transaction` does.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration_source.hpp"

namespace sm::core {

enum class Layout { native, flyway, dbmate, golang_migrate, goose, diesel, prisma };

// "native", "flyway", "dbmate", "golang-migrate", "goose", "diesel", "prisma".
const char* layout_name(Layout layout);

// The layout a name gives, or std::nullopt for any other text.
std::optional<Layout> parse_layout(std::string_view name);

// Every layout name, comma-separated, for messages.
std::string layout_names();

// What a directory looks like when it is another tool's and not native.
struct LayoutGuess {
    Layout layout = Layout::native;
    std::string evidence;  // "20240101_create_users.sql has a '-- migrate:up' section"
};

// The other tool's layout dir is in, when it holds no native migration file and
// matches one (subdirectories with up.sql: diesel; with migration.sql: prisma;
// V<ver>__ files: flyway; .sql files with goose annotations or .go migrations:
// goose; with dbmate sections: dbmate). std::nullopt otherwise, and for a
// directory that does not exist. golang-migrate's names are native ones.
std::optional<LayoutGuess> detect_layout(const std::filesystem::path& dir);

// The layout to read dir with: layout when it is set, else native, unless
// detect_layout finds another tool's layout: then throws sm::Error
// (invalid_input) naming the layout it looks like and how to set it.
Layout resolve_layout(const std::optional<Layout>& layout, const std::filesystem::path& dir);

// Loads every migration of dir in layout, like load_migrations (native is
// load_migrations itself): appends problems (names that do not parse,
// duplicate versions, missing sections, unsupported files) instead of
// throwing; a missing directory throws.
MigrationSet load_layout(const std::filesystem::path& dir, Layout layout,
                         std::vector<SourceProblem>& problems);

// What rollback lacks for m, a migration of layout with no down, as one line:
// "down file missing: <path>" (native, golang-migrate, flyway's U file,
// diesel's down.sql), "no statements in the '-- migrate:down' section of
// <path>" (dbmate; goose likewise), or "no down: prisma migrations have none
// (<path>)".
std::string missing_down(Layout layout, const Migration& m);

// The part of text from line first (1-based) up to, not including, line end
// (0: the end of the text), with every line before first emptied, so positions
// in it are positions in text.
std::string section_of(const std::string& text, int first, int end);

}  // namespace sm::core
