#pragma once
// An initdb'd data directory kept once per user and server build, so that a new
// cluster copies it instead of running initdb (most of a cluster's start-up).
//
// The template lives in $XDG_CACHE_HOME/safe-migrate (else ~/.cache/safe-migrate),
// in a private directory named after the server binaries (the files initdb and
// postgres resolve to, their sizes and modification times: an upgraded server
// gets a new template). It holds the data directory as initdb left it, never
// started, and the superuser password initdb was given. A copy gets its own
// password (rotate_superuser_password) as soon as it is started, so no two
// clusters share one.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/cluster.hpp"

namespace sm::sandbox {

// Runs initdb into a new data directory with the given superuser password.
using InitdbRunner =
    std::function<void(const std::filesystem::path& data_dir, const std::string& password)>;

// Fills s.data_dir (which must not exist) from the template for s.bindir,
// building the template first (through initdb, in s.root) when there is none,
// and returns the template's superuser password. Returns std::nullopt, leaving
// s.data_dir absent, when no template can be kept (no cache directory, or one
// that is not private to us); the caller then runs initdb itself. Errors of
// initdb and of the copy are thrown (sm::Error); errors of the cache are not.
std::optional<std::string> data_from_template(const ClusterState& s, const InitdbRunner& initdb);

// What building a new template sweeps from the cache directory, keeping `keep`:
// staging copies (".staging-pg-template-*") last written more than an hour
// before now, which a process killed while copying left, and templates
// ("pg-template-*") not used for 30 days, which an upgraded or removed server
// left (a copy of a template marks it used). Errors are ignored. Returns what
// it removed.
std::vector<std::filesystem::path> sweep_template_cache(const std::filesystem::path& cache,
                                                        const std::filesystem::path& keep,
                                                        std::filesystem::file_time_type now);

// Replaces the superuser's password on the running cluster s: connects over
// loopback with old_password and stores new_password's SCRAM verifier (computed
// here, so the password itself never reaches the server). Throws sm::Error.
void rotate_superuser_password(const ClusterState& s, const std::string& old_password,
                               const std::string& new_password);

}  // namespace sm::sandbox
