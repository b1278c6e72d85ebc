#include "planner/project.hpp"

#include <algorithm>

#include "core/layout.hpp"
#include "planner/script_builder.hpp"
#include "util/error.hpp"

namespace sm::planner {

core::Config load_project_config(const ProjectOptions& options) {
    core::Config config = core::load_config(options.config, options.env);
    if (options.migrations_dir) {
        config.migrations_dir = std::filesystem::absolute(*options.migrations_dir);
    }
    if (options.layout) {
        config.layout = core::parse_layout(*options.layout);
        if (!config.layout) {
            throw Error(ExitCode::invalid_input, "--layout must be one of " + core::layout_names() +
                                                     " (not \"" + *options.layout + "\")");
        }
    }
    return config;
}

Project load_project(const ProjectOptions& options) {
    Project project;
    project.config = load_project_config(options);
    std::vector<core::SourceProblem> problems;
    const auto& dir = project.config.migrations_dir;
    project.migrations =
        core::load_layout(dir, core::resolve_layout(project.config.layout, dir), problems);
    // Files that already failed a check (bad UTF-8, empty) are not parsed.
    auto has_problem = [&](const std::filesystem::path& file) {
        return std::any_of(problems.begin(), problems.end(),
                           [&](const auto& p) { return p.file == file; });
    };
    for (const auto& m : project.migrations.migrations) {
        if (!has_problem(m.up.path)) {
            project.up[m.version] = build_script(m.up, problems);
        }
        if (m.down && !has_problem(m.down->path)) {
            std::vector<core::SourceProblem> down_problems;
            core::Script down = build_script(*m.down, down_problems);
            problems.insert(problems.end(), down_problems.begin(), down_problems.end());
            if (down_problems.empty()) {
                project.down[m.version] = std::move(down);
            }
        }
    }
    // A down file's problems are the rollback's business, not the load's.
    for (const auto& m : project.migrations.migrations) {
        if (!m.down) {
            continue;
        }
        auto is_down = [&](const core::SourceProblem& p) { return p.file == m.down->path; };
        for (const auto& p : problems) {
            if (is_down(p)) {
                project.broken_down[m.version].push_back(p);
            }
        }
        problems.erase(std::remove_if(problems.begin(), problems.end(), is_down), problems.end());
    }
    project.dependencies = Dependencies::build(project.migrations, problems);
    core::throw_if_problems(problems, project.config.migrations_dir.string());
    return project;
}

}  // namespace sm::planner
