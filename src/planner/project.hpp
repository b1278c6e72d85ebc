#pragma once
// A project as every command sees it: the config, the migration sources, and
// every up and down script parsed (statements, transaction mode, tables).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"
#include "planner/dependencies.hpp"

namespace sm::planner {

// Where the project comes from: the global --config, --env, --migrations-dir
// and --layout, each optional.
struct ProjectOptions {
    std::optional<std::filesystem::path> config;
    std::optional<std::string> env;
    std::optional<std::filesystem::path> migrations_dir;
    std::optional<std::string> layout;  // a layout name (core/layout.hpp)
};

struct Project {
    core::Config config;
    core::MigrationSet migrations;
    std::map<core::Version, core::Script> up;
    std::map<core::Version, core::Script> down;  // down files that parse
    // Down files that do not parse (or cannot be read), by version, with their
    // problems. They never stop a load: plan reports a pending migration's as a
    // broken-down-migration finding (a warning under the default policy), and a
    // rollback that needs one refuses before reverting anything.
    std::map<core::Version, std::vector<core::SourceProblem>> broken_down;
    // requires= between the migrations (an unknown requirement or a cycle
    // fails the load).
    Dependencies dependencies;
};

// Loads only the config: options.config (or ./safe-migrate.toml), the
// environment options.env, and options.migrations_dir and options.layout over
// the config's. Throws sm::Error (invalid_input) naming the file, line and key,
// or the layout name that is not one.
core::Config load_project_config(const ProjectOptions& options);

// Loads the config and the migrations in the config's layout, and parses every
// up and down file. Throws sm::Error (invalid_input) listing every problem of
// the config and the up files (requirements naming no migration, and cycles,
// included); nothing is returned half-checked. Down-file
// problems are kept in Project::broken_down instead. With no layout set, a
// directory in another tool's layout is an error saying which one and how to
// set it (core::resolve_layout).
Project load_project(const ProjectOptions& options);
// The same with the config loaded already (load_project_config).
Project load_project(core::Config config);

}  // namespace sm::planner
