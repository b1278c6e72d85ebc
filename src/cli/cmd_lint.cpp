// safe-migrate lint [FILES|DIRS]: check migrations against a policy, no database.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "planner/lint_output.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"

namespace sm::cli {

int run_lint(const GlobalOptions& options, const LintArgs& args) {
    if (args.list_rules) {
        std::printf("%s", planner::render_rules().c_str());
        return 0;
    }
    // 1. The policy (--policy, ./safe-migrate-policy.toml, or the shipped default).
    planner::Policy policy = planner::load_policy(args.policy);

    // 2. What to lint: the paths given, or the project's migrations directory.
    std::vector<std::filesystem::path> inputs = args.paths;
    if (inputs.empty()) {
        inputs.push_back(load_config(options).migrations_dir);
    }
    auto files = planner::expand_inputs(inputs, args.include_down);

    // 3. Lint every file (in parallel), then report in the requested format.
    // The report is left for the process's exit to reclaim: freeing hundreds of
    // thousands of findings one by one would add a tenth of a second to a big run.
    auto& report =
        *std::make_unique<planner::LintReport>(planner::lint_files(files, policy, args.jobs))
             .release();
    planner::LintFormat format = planner::LintFormat::text;
    if (args.format == "json")
        format = planner::LintFormat::json;
    else if (args.format == "sarif")
        format = planner::LintFormat::sarif;
    else if (args.format == "github")
        format = planner::LintFormat::github;
    planner::render_lint(report, format, policy, [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
    });

    // 4. Exit: 3 when something does not parse, 4 on policy errors, else 0.
    if (report.syntax_errors > 0) {
        return static_cast<int>(ExitCode::invalid_input);
    }
    return report.errors > 0 ? static_cast<int>(ExitCode::policy) : 0;
}

}  // namespace sm::cli
