#pragma once
// The command table's rows. Each command file declares its own flags next to
// its code and returns its row; app.cpp lists the rows and dispatches. A run
// function returns the process exit code, or throws sm::Error (which app.cpp
// prints and maps to its exit code).

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

#include "cli/options.hpp"

namespace sm::cli {

struct Command {
    const char* name;
    const char* summary;
    // Declares the command's own options on its subcommand, bound to state the
    // row's run function shares.
    std::function<void(CLI::App&)> declare;
    std::function<int(const GlobalOptions&)> run;
    // The command declares its own --format (more than text and json).
    bool own_format = false;
};

// The commands, in the order --help lists them.
const std::vector<Command>& command_table();

Command init_command();
Command new_command();
Command status_command();
Command lint_command();
Command plan_command();
Command execute_command();
Command rollback_command();
Command backup_command();
Command restore_command();
Command notify_command();
Command seed_command();
Command reset_command();
Command sandbox_command();
Command validate_command();
Command check_command();
Command schema_command();
Command adopt_command();
Command backfill_command();
Command rewrite_command();

}  // namespace sm::cli
