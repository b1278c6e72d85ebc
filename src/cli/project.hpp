#pragma once
// What commands start with, from the global options: the project (config,
// migrations, parsed scripts), the target, and flag values; and the one way
// commands print a line.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "planner/project.hpp"
#include "util/error.hpp"

namespace sm::cli {

// --config, --env, --migrations-dir and --layout as the project loader takes them.
planner::ProjectOptions project_options(const GlobalOptions& options);

// planner::load_project / load_project_config with the global options.
planner::Project load_project(const GlobalOptions& options);
core::Config load_config(const GlobalOptions& options);

// The target (core::resolve_target): --database-url, the environment's
// database_url, [database] url, DATABASE_URL, libpq defaults; logs a warning
// for each source --database-url overrides. Throws sm::Error (invalid_input)
// for a malformed connection string or sources naming different databases.
core::Target resolve_target(const GlobalOptions& options, const core::Config& config);

// The duration a flag gives ("30s", "5min"), or fallback when it was not given.
// Throws sm::Error (usage) naming the flag when the text is not a duration.
std::chrono::milliseconds duration_flag(const std::optional<std::string>& text, const char* flag,
                                        std::chrono::milliseconds fallback);

// Prints to stdout unless --quiet; progress and results go here, logs to stderr.
void say(const GlobalOptions& options, const std::string& line);

// Prints a table (util::render_table) through say, its header row in bold on a terminal.
void say_table(const GlobalOptions& options, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

// Prints text and a newline on stdout, --quiet or not: a command's one JSON
// document (as dump(2) prints it), or the one value a script reads.
void print_document(const std::string& document);

// Prints fields with "result": "ok" added: the document of a command that succeeded.
void print_ok(nlohmann::json fields);

// Prints an error the one way: "safe-migrate: error: " and the hint on stderr
// (redacted), and with --format json the error document on stdout, unless
// json_document is false (the command already printed its one document).
void print_error(const GlobalOptions& options, ExitCode code, const std::string& message,
                 const std::string& hint, bool json_document = true);

}  // namespace sm::cli
