#pragma once
// A migrations directory that holds no migrations in the layout being read:
// what it holds instead, so a wrong directory or another tool's project is
// said, not shown as "0 applied, 0 pending". Which tool's layout a directory
// follows is decided once, by core::detect_layout (core/layout.hpp).

#include "core/migration_source.hpp"

namespace sm::core {

// Throws sm::Error (invalid_input) when set holds no migrations, naming its
// directory and what is there instead: another tool's layout (and how to read
// it), or how many files and subdirectories (or that it is empty). Returns
// quietly otherwise.
void require_migrations(const MigrationSet& set);

}  // namespace sm::core
