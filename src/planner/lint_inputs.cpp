#include "planner/lint_inputs.hpp"

#include <map>

#include "util/error.hpp"

namespace sm::planner {
namespace fs = std::filesystem;
namespace {

// The directory a layout keeps file's migration set in: diesel and prisma
// migrations are directories of their own.
fs::path set_dir_of(const fs::path& file, core::Layout layout) {
    fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (layout == core::Layout::diesel || layout == core::Layout::prisma) {
        return dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    }
    return dir;
}

core::MigrationSet load_set(const fs::path& dir, core::Layout layout) {
    std::vector<core::SourceProblem> problems;
    core::MigrationSet set = core::load_layout(dir, layout, problems);
    core::throw_if_problems(problems, dir.string());
    return set;
}

void add_parts(const core::Migration& m, bool include_down, std::vector<LintInput>& out) {
    out.emplace_back(m.up);
    if (include_down && m.down) {
        out.emplace_back(*m.down);
    }
}

// The migration sets of the directories read so far: files of one directory load it once.
using LoadedSets = std::map<fs::path, core::MigrationSet>;

// The parts of the migration that reads file, or the file whole.
void add_file(const fs::path& file, core::Layout layout, bool include_down, LoadedSets& sets,
              std::vector<LintInput>& out) {
    if (!fs::exists(file)) {
        throw Error(ExitCode::invalid_input, file.string() + " does not exist");
    }
    fs::path dir = set_dir_of(file, layout);
    auto loaded = sets.find(dir);
    if (loaded == sets.end()) {
        loaded = sets.emplace(dir, load_set(dir, layout)).first;
    }
    const core::MigrationSet& set = loaded->second;
    auto same = [&](const fs::path& a) { return fs::equivalent(a, file); };
    for (const auto& m : set.migrations) {
        if (same(m.up.path)) {
            add_parts(m, include_down, out);
            return;
        }
        if (m.down && same(m.down->path)) {
            out.emplace_back(*m.down);
            return;
        }
    }
    out.emplace_back(file);
}

}  // namespace

std::vector<LintInput> lint_inputs(const std::vector<fs::path>& inputs,
                                   const std::optional<core::Layout>& layout, bool include_down) {
    core::Layout chosen = core::Layout::native;
    for (const auto& input : inputs) {
        if (fs::is_directory(input)) {
            chosen = core::resolve_layout(layout, input);
        }
    }
    if (layout) {
        chosen = *layout;
    }
    if (chosen == core::Layout::native || chosen == core::Layout::golang_migrate) {
        std::vector<fs::path> files = expand_inputs(inputs, include_down);
        return {files.begin(), files.end()};
    }
    std::vector<LintInput> out;
    LoadedSets sets;
    for (const auto& input : inputs) {
        if (!fs::is_directory(input)) {
            add_file(input, chosen, include_down, sets, out);
            continue;
        }
        core::MigrationSet set = load_set(input, chosen);
        if (set.migrations.empty()) {
            throw Error(
                ExitCode::invalid_input,
                input.string() + " holds no " + core::layout_name(chosen) + " migrations to lint");
        }
        for (const auto& m : set.migrations) {
            add_parts(m, include_down, out);
        }
    }
    return out;
}

}  // namespace sm::planner
