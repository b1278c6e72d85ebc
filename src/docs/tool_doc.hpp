#pragma once
// The command line described as data, for what is generated from it at build
// time: the man page and the bash, zsh and fish completions
// (packaging/gen_docs.cpp). cli::describe_tool fills it from the command
// table, so none of them can fall behind --help.

#include <string>
#include <string_view>
#include <vector>

namespace sm::docs {

struct OptionDoc {
    std::vector<std::string> names;    // "-v", "--verbose"; a positional's name ("action")
    std::string value;                 // what it takes ("TEXT"); empty for a flag
    std::vector<std::string> choices;  // the values it accepts, when they are a fixed set
    std::string description;
    bool positional = false;
};

struct CommandDoc {
    std::string name;
    std::string summary;
    std::vector<OptionDoc> options;
    std::vector<std::string> examples;  // command lines, "safe-migrate ..."
};

struct ToolDoc {
    std::string name;     // "safe-migrate"
    std::string summary;  // one line
    std::string version;  // "0.1.0"
    std::string footer;   // the exit codes, as --help ends
    std::vector<OptionDoc> global;
    std::vector<CommandDoc> commands;
};

// Two or three example command lines for a command of the table (empty for a
// name it does not know). Each works in a project that `safe-migrate init`
// started, against a target with its migrations applied.
const std::vector<std::string>& examples_of(std::string_view command);

// The examples as a command's --help ends: "Examples:" and one indented line each.
std::string examples_text(std::string_view command);

// A man page (roff, section 1): NAME, SYNOPSIS, DESCRIPTION, OPTIONS, COMMANDS
// (each with its options and examples), EXIT STATUS, ENVIRONMENT, FILES.
std::string man_page(const ToolDoc& tool);

// Completion scripts: for bash (`complete -F`), zsh (#compdef) and fish (complete -c).
std::string bash_completion(const ToolDoc& tool);
std::string zsh_completion(const ToolDoc& tool);
std::string fish_completion(const ToolDoc& tool);

}  // namespace sm::docs
