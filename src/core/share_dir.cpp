#include "core/share_dir.hpp"

#include <algorithm>
#include <system_error>

#include "util/error.hpp"

// Set by src/CMakeLists.txt for this file only: the build tree and its source tree.
#ifndef SM_BUILD_DIR
#define SM_BUILD_DIR ""
#endif
#ifndef SM_SOURCE_DIR
#define SM_SOURCE_DIR ""
#endif

namespace sm::core {
namespace fs = std::filesystem;
namespace {

bool holds_policies(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "policies" / "default.toml", ec);
}

fs::path installed_share(const fs::path& exe) {
    return (exe.parent_path().parent_path() / "share" / "safe-migrate").lexically_normal();
}

// Whether path lies inside dir (both made canonical as far as they exist).
bool is_under(const fs::path& path, const fs::path& dir) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    fs::path d = fs::weakly_canonical(dir, ec);
    if (ec || d.empty()) {
        return false;
    }
    auto [d_end, p_at] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
    return d_end == d.end();
}

}  // namespace

std::optional<fs::path> find_share_dir(const fs::path& exe, const fs::path& build_dir,
                                       const fs::path& source_dir) {
    if (fs::path installed = installed_share(exe); holds_policies(installed)) {
        return installed;
    }
    if (!build_dir.empty() && !source_dir.empty() && is_under(exe, build_dir) &&
        holds_policies(source_dir)) {
        return source_dir;
    }
    return std::nullopt;
}

fs::path executable_path() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        throw Error(ExitCode::failure, "cannot read /proc/self/exe: " + ec.message());
    }
    return exe;
}

fs::path share_dir() {
    fs::path exe = executable_path();
    if (auto found = find_share_dir(exe, SM_BUILD_DIR, SM_SOURCE_DIR)) {
        return *found;
    }
    std::string looked = installed_share(exe).string();
    if (is_under(exe, SM_BUILD_DIR)) {
        looked += " and " + std::string(SM_SOURCE_DIR);
    }
    throw Error(
        ExitCode::failure,
        "no policies/default.toml in " + looked + " (the share directory of " + exe.string() + ")",
        "Reinstall the package (apt-get install --reinstall safe-migrate), or set "
        "SAFE_MIGRATE_POLICIES to a directory holding default.toml and strict.toml.");
}

}  // namespace sm::core
