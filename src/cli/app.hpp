#pragma once
// The command-line entry point: parses arguments through the command table,
// runs the command, and turns any error into a message and an exit code.

namespace sm::cli {

// Runs safe-migrate with the process arguments; returns the exit code
// (util/error.hpp). Never throws.
int run(int argc, char** argv);

}  // namespace sm::cli
