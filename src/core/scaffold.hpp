#pragma once
// Starting a project and a migration: the files `init` and `new` write.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

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

// Creates <UTC now as YYYYMMDDHHMMSS>_<name>.up.sql and .down.sql in dir (made
// when missing), each with a header showing the directives; with no_transaction
// both files carry `-- safe-migrate: no-transaction`. When a file in dir already
// has that version, the next free second is used. Returns the two paths.
// Throws sm::Error (invalid_input) when name is not letters, digits, '_' and '-'.
std::vector<std::filesystem::path> new_migration(const std::filesystem::path& dir,
                                                 const std::string& name, bool no_transaction,
                                                 std::chrono::system_clock::time_point now);

}  // namespace sm::core
