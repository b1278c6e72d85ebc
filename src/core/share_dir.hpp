#pragma once
// Where the files safe-migrate ships beside its binary live: policies/ and
// runbooks/ under one share directory.
//
// An installed binary (a .deb, `cmake --install --prefix DIR`) reads
// <its own directory>/../share/safe-migrate, found through /proc/self/exe, so
// any prefix works. A binary inside the build tree it was built in (the tool
// and the test binaries) has no installed share directory; it reads the source
// tree it was configured from, whose policies/ and runbooks/ have the same
// layout. The source path is compiled in and used only then: a binary copied
// out of its build tree never reads a source checkout.

#include <filesystem>
#include <optional>

namespace sm::core {

// The share directory of this binary, as above. Throws sm::Error (failure)
// naming every place it looked when none holds policies/.
std::filesystem::path share_dir();

// The share directory for a binary at exe, or std::nullopt; build_dir and
// source_dir are the build tree and its source tree (empty: none). The rule of
// share_dir, for tests.
std::optional<std::filesystem::path> find_share_dir(const std::filesystem::path& exe,
                                                    const std::filesystem::path& build_dir,
                                                    const std::filesystem::path& source_dir);

// The path of this process's executable (/proc/self/exe, symlinks resolved).
// Throws sm::Error (failure) when it cannot be read.
std::filesystem::path executable_path();

}  // namespace sm::core
