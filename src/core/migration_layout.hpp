#pragma once
// A migrations directory that holds no migrations in safe-migrate's layout
// (<version>_<name>.up.sql): what it holds instead, so a wrong directory or
// another tool's project is said, not shown as "0 applied, 0 pending".

#include <filesystem>
#include <string>
#include <vector>

#include "core/migration_source.hpp"

namespace sm::core {

// The migration tool whose layout these entries of one directory follow
// ("Flyway's (V<version>__<description>.sql)"), or "" when none is
// recognised. entries are the directory's file names, its subdirectories'
// names ending in '/', and their files as "<subdirectory>/<file>".
std::string foreign_layout_of(const std::vector<std::string>& entries);

// foreign_layout_of a directory on disk (its files and its subdirectories' files).
std::string foreign_layout(const std::filesystem::path& dir);

// Throws sm::Error (invalid_input) when set holds no migrations, naming its
// directory and what is there instead: another tool's layout, or how many files
// and subdirectories (or that it is empty). Returns quietly otherwise.
void require_migrations(const MigrationSet& set);

}  // namespace sm::core
