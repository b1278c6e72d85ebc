#pragma once
// Command-line mistakes in plain words, in place of CLI11's own messages: the
// flag or command named, the values it takes, and a "did you mean" when a
// known name is close. All of them exit 2 (ExitCode::usage).

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace sm::cli {

struct Usage {
    std::string message;  // "unknown option '--databse-url'"
    std::string hint;     // "Did you mean '--database-url'?", or a help command
};

// A check for an option (or positional) that takes one of choices, exactly as
// written. Any other value throws sm::Error (usage) during parsing: "what:
// 'yaml' is not one of text, json", hinting the closest choice.
CLI::Validator one_of(std::string what, std::vector<std::string> choices);

// Explains the ParseError that app.parse(argc, argv) threw. argv is read
// first, the way the parser reads it: the first unknown option or command
// (with the closest known name), or a single-value option given twice; else
// the error itself, reworded.
Usage explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv);

}  // namespace sm::cli
