#pragma once
// Who and what is running: actor (user@host), run ids, tool version.

#include <string>

namespace sm::core {

// The tool's version, from CMake's project() version.
const char* tool_version();

// "user@host" of the person or pipeline running the command.
std::string actor();

// A fresh random run id (UUID v4 text), unique per command invocation.
std::string new_run_id();

// Random bytes as lowercase hex (2 * n characters); for passwords and ids.
std::string random_hex(size_t n);

}  // namespace sm::core
