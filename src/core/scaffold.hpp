#pragma once
// Starting a project and a migration: the files `init` and `new` write.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/layout.hpp"

namespace sm::core {

// The commented safe-migrate.toml init writes (migrations_dir as given, relative
// to the project directory), and the project policy that extends the shipped default.
std::string starter_config(const std::string& migrations_dir);
std::string starter_policy();

// Starts a project in dir: safe-migrate.toml, safe-migrate-policy.toml and the
// migrations directory (migrations_dir, relative to dir; kept when it exists).
// Returns what it created, in that order. Writes nothing and throws sm::Error
// (invalid_input) naming the file when either file already exists.
std::vector<std::filesystem::path> init_project(const std::filesystem::path& dir,
                                                const std::string& migrations_dir);

// Creates a migration named name in dir (made when missing) as layout's own
// generator would (scaffold_layouts.hpp): native writes <UTC now as
// YYYYMMDDHHMMSS>_<name>.up.sql and .down.sql, each with a header showing the
// directives; another layout its own files, its version following the newest
// migration dir holds in that layout. no_transaction writes the layout's
// no-transaction marker. When a file in dir already has a timestamp version,
// the next free second is used. Returns the paths written (the up file first).
// Throws sm::Error (invalid_input) when name is not letters, digits, '_' and
// '-', writing nothing.
std::vector<std::filesystem::path> new_migration(const std::filesystem::path& dir, Layout layout,
                                                 const std::string& name, bool no_transaction,
                                                 std::chrono::system_clock::time_point now);

}  // namespace sm::core
