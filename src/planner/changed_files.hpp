#pragma once
// `lint --changed-since REF`: which of the files lint would check did a branch
// change. The git questions go through util/git; this part matches git's
// answer against the inputs.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "planner/linter.hpp"

namespace sm::planner {

// The inputs of lint_inputs(inputs, layout, include_down) whose files git
// reports changed since ref (util::git_changed_since, asked in each input's git
// work tree), in the same order. Paths are compared after resolving symlinks
// and "..", so inputs given relative to a subdirectory match git's top-relative
// names. Throws what lint_inputs and util::git_changed_since throw.
std::vector<LintInput> changed_inputs(const std::vector<std::filesystem::path>& inputs,
                                      const std::string& ref,
                                      const std::optional<core::Layout>& layout, bool include_down);

// The files among files that changed names (both compared canonically), in the
// order of files. Files that no longer exist are never kept.
std::vector<std::filesystem::path> keep_changed(const std::vector<std::filesystem::path>& files,
                                                const std::vector<std::filesystem::path>& changed);

}  // namespace sm::planner
