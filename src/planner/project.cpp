#include "planner/project.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "core/layout.hpp"
#include "planner/script_builder.hpp"
#include "util/error.hpp"
#include "util/worker_pool.hpp"

namespace sm::planner {
namespace {

// One script as build_script left it, and its problems.
struct BuiltScript {
    std::optional<core::Script> script;
    std::vector<core::SourceProblem> problems;
};

}  // namespace

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
    return load_project(load_project_config(options));
}

Project load_project(core::Config config) {
    Project project;
    project.config = std::move(config);
    std::vector<core::SourceProblem> problems;
    const auto& dir = project.config.migrations_dir;
    project.migrations =
        core::load_layout(dir, core::resolve_layout(project.config.layout, dir), problems);
    // Files that already failed a check (bad UTF-8, empty) are not parsed.
    auto has_problem = [&](const std::filesystem::path& file) {
        return std::any_of(problems.begin(), problems.end(),
                           [&](const auto& p) { return p.file == file; });
    };
    // Each script is parsed on its own, on every core (libpg_query keeps its
    // state per thread); the scripts and their problems are kept in file order.
    const auto& migrations = project.migrations.migrations;
    std::vector<BuiltScript> ups(migrations.size());
    std::vector<BuiltScript> downs(migrations.size());
    util::parallel_for(migrations.size(), 0, [&](size_t i) {
        const auto& m = migrations[i];
        if (!has_problem(m.up.path)) {
            ups[i].script = build_script(m.up, ups[i].problems);
        }
        if (m.down && !has_problem(m.down->path)) {
            downs[i].script = build_script(*m.down, downs[i].problems);
        }
    });
    for (size_t i = 0; i < migrations.size(); ++i) {
        const auto& version = migrations[i].version;
        problems.insert(problems.end(), ups[i].problems.begin(), ups[i].problems.end());
        if (ups[i].script) {
            project.up[version] = std::move(*ups[i].script);
        }
        problems.insert(problems.end(), downs[i].problems.begin(), downs[i].problems.end());
        if (downs[i].script && downs[i].problems.empty()) {
            project.down[version] = std::move(*downs[i].script);
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
