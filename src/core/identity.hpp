#pragma once
// Who and what is running: actor (user@host), run ids, tool version.

#include <string>

namespace sm::core {

// The tool's version, from CMake's project() version.
const char* tool_version();

// The git commit the binary was built from (abbreviated), read when CMake
// configured the build; "unknown" for a build from an archive. -DSM_GIT_COMMIT=...
// overrides it.
const char* git_commit();

// The version of the libpq this process runs with ("15.5"), from PQlibVersion.
std::string libpq_version();

// The PostgreSQL server versions safe-migrate supports, for --version.
const char* supported_servers();

// "user@host" of the person or pipeline running the command.
std::string actor();

// A fresh random run id (UUID v4 text), unique per command invocation.
std::string new_run_id();

// Random bytes as lowercase hex (2 * n characters); for passwords and ids.
std::string random_hex(size_t n);

}  // namespace sm::core
