#pragma once
// What `lint` reads for the paths it is given, in the project's layout
// (core/layout.hpp): whole files in the native layout, and in another tool's
// layout each migration's up part (the down part with include_down), with the
// tool's no-transaction marker.

#include <filesystem>
#include <optional>
#include <vector>

#include "core/layout.hpp"
#include "planner/linter.hpp"

namespace sm::planner {

// For the native layout, expand_inputs(inputs, include_down). For another
// layout, a directory gives the parts of its migrations in version order, and
// a file the parts of the migration it belongs to (a file no migration of its
// directory reads is linted whole). With layout unset a directory in another
// tool's layout is an error saying which (core::resolve_layout). Throws
// sm::Error (invalid_input) listing the problems of a directory that does not
// load, and what expand_inputs throws.
std::vector<LintInput> lint_inputs(const std::vector<std::filesystem::path>& inputs,
                                   const std::optional<core::Layout>& layout, bool include_down);

}  // namespace sm::planner
