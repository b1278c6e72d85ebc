// safe-migrate rewrite FILE [--write]: a migration's dangerous statements as the
// migrations that make the same change online, proven on a copy of the target's
// schema (deploy/rewrite.hpp).
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "deploy/rewrite.hpp"

namespace sm::cli {

Command rewrite_command() {
    auto args = std::make_shared<std::pair<std::filesystem::path, bool>>();
    return {"rewrite", "Turn a migration's locking statements into proven online steps",
            [args](CLI::App& sub) {
                sub.add_option("file", args->first,
                               "The migration file to rewrite (left untouched)")
                    ->required();
                sub.add_flag("--write", args->second,
                             "Write the steps into the migrations directory as new migrations");
            },
            [args](const GlobalOptions& g) {
                planner::Project project = load_project(g);
                core::Target target = resolve_target(g, project.config);
                deploy::RewriteRequest request{&project, args->first, std::nullopt, args->second};
                // No database given: the steps are written unproven.
                if (target.source != core::TargetSource::libpq_defaults) {
                    request.target = target;
                }
                deploy::RewriteReport report = deploy::rewrite_file(request);
                if (g.format == Format::json) {
                    print_document(report.json);
                } else {
                    say(g, report.text.substr(0, report.text.size() - 1));
                }
                return report.refused ? static_cast<int>(ExitCode::policy) : 0;
            },
            false};
}

}  // namespace sm::cli
