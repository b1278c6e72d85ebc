#include "cli/project.hpp"

#include <algorithm>
#include <cstdio>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "planner/script_builder.hpp"

namespace sm::cli {

core::Config load_config(const GlobalOptions& options) {
    core::Config config = core::load_config(options.config, options.env);
    if (options.migrations_dir) {
        config.migrations_dir = std::filesystem::absolute(*options.migrations_dir);
    }
    return config;
}

Project load_project(const GlobalOptions& options) {
    Project project;
    project.config = load_config(options);
    std::vector<core::SourceProblem> problems;
    project.migrations = core::load_migrations(project.config.migrations_dir, problems);
    // Files that already failed a check (bad UTF-8, empty) are not parsed.
    auto has_problem = [&](const std::filesystem::path& file) {
        return std::any_of(problems.begin(), problems.end(),
                           [&](const auto& p) { return p.file == file; });
    };
    for (const auto& m : project.migrations.migrations) {
        if (!has_problem(m.up.path)) {
            project.up[m.version] = planner::build_script(m.up, problems);
        }
        if (m.down && !has_problem(m.down->path)) {
            project.down[m.version] = planner::build_script(*m.down, problems);
        }
    }
    core::throw_if_problems(problems, project.config.migrations_dir.string());
    return project;
}

core::Target resolve_target(const GlobalOptions& options, const core::Config& config) {
    core::Target target = core::resolve_target(options.database_url, config.database_url);
    core::validate_conninfo(target.conninfo);
    return target;
}

std::unique_ptr<executor::Session> connect_target(const core::Target& target,
                                                  const core::Config& config,
                                                  const std::string& role) {
    std::string name = config.application_name;
    if (!role.empty()) {
        name += "/" + role;
    }
    return executor::connect(target.conninfo, name);
}

std::chrono::milliseconds duration_flag(const std::optional<std::string>& text, const char* flag,
                                        std::chrono::milliseconds fallback) {
    if (!text) {
        return fallback;
    }
    auto d = core::parse_duration(*text);
    if (!d) {
        throw Error(
            ExitCode::usage,
            std::string(flag) + " needs a duration such as 30s or 5min, not '" + *text + "'");
    }
    return *d;
}

void say(const GlobalOptions& options, const std::string& line) {
    if (options.quiet) {
        return;
    }
    std::string text = core::redact_text(line);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace sm::cli
