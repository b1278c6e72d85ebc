#include "planner/changed_files.hpp"

#include <algorithm>
#include <set>

#include "planner/lint_inputs.hpp"
#include "util/git.hpp"

namespace sm::planner {

namespace fs = std::filesystem;

namespace {

// The path with symlinks and ".." resolved, as git's top is; the path itself
// when it cannot be resolved.
fs::path resolved(const fs::path& path) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(path), ec);
    return ec ? path : out;
}

// The directory to ask git from for one input: itself, or a file's folder.
fs::path git_dir_of(const fs::path& input) {
    if (fs::is_directory(input)) {
        return input;
    }
    return input.has_parent_path() ? input.parent_path() : fs::path(".");
}

}  // namespace

std::vector<fs::path> keep_changed(const std::vector<fs::path>& files,
                                   const std::vector<fs::path>& changed) {
    std::set<fs::path> wanted;
    for (const auto& path : changed) {
        wanted.insert(resolved(path));
    }
    std::vector<fs::path> kept;
    for (const auto& file : files) {
        if (fs::exists(file) && wanted.count(resolved(file)) != 0) {
            kept.push_back(file);
        }
    }
    return kept;
}

std::vector<LintInput> changed_inputs(const std::vector<fs::path>& inputs, const std::string& ref,
                                      const std::optional<core::Layout>& layout,
                                      bool include_down) {
    std::vector<LintInput> files = lint_inputs(inputs, layout, include_down);
    // Git is asked once per folder (inputs usually share one), so inputs from
    // several work trees each get their own answer.
    std::set<fs::path> asked;
    std::vector<fs::path> changed;
    for (const auto& input : inputs) {
        fs::path dir = resolved(git_dir_of(input));
        if (asked.insert(dir).second) {
            auto changes = util::git_changed_since(ref, dir);
            changed.insert(changed.end(), changes.paths.begin(), changes.paths.end());
        }
    }
    std::vector<fs::path> paths;
    paths.reserve(files.size());
    for (const auto& f : files) {
        paths.push_back(f.file);
    }
    std::vector<fs::path> kept = keep_changed(paths, changed);
    std::vector<LintInput> out;
    for (auto& f : files) {
        if (std::find(kept.begin(), kept.end(), f.file) != kept.end()) {
            out.push_back(std::move(f));
        }
    }
    return out;
}

}  // namespace sm::planner
