#pragma once
// Options shared by every command, and each command's own arguments. The
// command table (app.cpp) fills these from the command line.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::cli {

enum class Format { text, json };

struct GlobalOptions {
    std::optional<std::filesystem::path> config;
    std::optional<std::string> env;
    std::optional<std::string> database_url;
    std::optional<std::filesystem::path> migrations_dir;
    std::optional<std::string> layout;  // --layout: another tool's migration layout
    bool verbose = false;
    bool quiet = false;
    Format format = Format::text;
    std::string format_name = "text";  // --format as given; format once parsed
};

}  // namespace sm::cli
