#pragma once
// `lint --changed-since REF`: which of the files lint would check did a branch
// change. The git questions go through util/git; this part matches git's
// answer against the inputs.

#include <filesystem>
#include <string>
#include <vector>

namespace sm::planner {

// The files of expand_inputs(inputs, include_down) that git reports changed
// since ref (util::git_changed_since, asked in each input's git work tree), in
// the same order. Paths are compared after resolving symlinks and "..", so
// inputs given relative to a subdirectory match git's top-relative names.
// Throws what expand_inputs and util::git_changed_since throw.
std::vector<std::filesystem::path> changed_inputs(const std::vector<std::filesystem::path>& inputs,
                                                  const std::string& ref, bool include_down);

// The files among files that changed names (both compared canonically), in the
// order of files. Files that no longer exist are never kept.
std::vector<std::filesystem::path> keep_changed(const std::vector<std::filesystem::path>& files,
                                                const std::vector<std::filesystem::path>& changed);

}  // namespace sm::planner
