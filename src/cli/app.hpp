#pragma once
// The command-line entry point: parses arguments through the command table,
// runs the command, and turns any error into a message and an exit code.

#include <string>
#include <vector>

namespace sm::cli {

// The names of the commands, in the order --help lists them (the command table).
std::vector<std::string> command_names();

// Runs safe-migrate with the process arguments; returns the exit code
// (util/error.hpp). Never throws.
int run(int argc, char** argv);

}  // namespace sm::cli
