#pragma once
// What most commands start with: the config, the migration sources with every
// script parsed, and connections to the target.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/options.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"
#include "executor/session.hpp"

namespace sm::cli {

struct Project {
    core::Config config;
    core::MigrationSet migrations;
    std::map<int64_t, core::Script> up;
    std::map<int64_t, core::Script> down;
};

// Loads the config (--config, --env) and the migrations (--migrations-dir
// overrides the config), and parses every up and down file. Throws sm::Error
// (invalid_input) listing every problem; nothing is returned half-checked.
Project load_project(const GlobalOptions& options);

// Loads only the config.
core::Config load_config(const GlobalOptions& options);

// The target: --database-url, DATABASE_URL, the config's url, libpq defaults.
core::Target resolve_target(const GlobalOptions& options, const core::Config& config);

// Opens a session to the target with application_name "<config's name>" plus
// the role ("safe-migrate", "safe-migrate/lock"). Throws sm::Error(db_unreachable).
std::unique_ptr<executor::Session> connect_target(const core::Target& target,
                                                  const core::Config& config,
                                                  const std::string& role = "");

// The duration a flag gives ("30s", "5min"), or fallback when it was not given.
// Throws sm::Error (usage) naming the flag when the text is not a duration.
std::chrono::milliseconds duration_flag(const std::optional<std::string>& text, const char* flag,
                                        std::chrono::milliseconds fallback);

// Prints to stdout unless --quiet; progress and results go here, logs to stderr.
void say(const GlobalOptions& options, const std::string& line);

}  // namespace sm::cli
