#pragma once
// What `safe-migrate --version` prints: the build and the libraries it runs with.

#include <string>

namespace sm::deploy {

// Lines of "field: value" after "safe-migrate VERSION": the git commit, libpq's
// version, the PostgreSQL grammar of the parser, the server versions supported.
// Never throws.
std::string version_text();

}  // namespace sm::deploy
