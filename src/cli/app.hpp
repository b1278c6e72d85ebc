#pragma once
// The command-line entry point: parses arguments through the command table,
// runs the command, and turns any error into a message and an exit code.

#include <string>
#include <vector>

#include "docs/tool_doc.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace sm::cli {

struct Command;
struct GlobalOptions;

// The names of the commands, in the order --help lists them (the command table).
std::vector<std::string> command_names();

// Runs safe-migrate with the process arguments; returns the exit code
// (util/error.hpp). Never throws.
int run(int argc, char** argv);

// Declares the whole command line on app: the description, --version, the
// global options bound to g, and one subcommand per row of the command table,
// whose --help ends with the exit codes and its examples. A parse sets chosen
// to the row it selected.
void declare_app(CLI::App& app, GlobalOptions& g, const Command*& chosen);

// The command line as declare_app declares it, as data: what the man page and
// the completions are generated from (packaging/gen_docs.cpp).
docs::ToolDoc describe_tool();

}  // namespace sm::cli
