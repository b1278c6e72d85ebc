// safe-migrate check: the post-deploy checks ([[execute.checks]]) alone, for
// monitoring after a deploy. Exit 0 when every check passes, 1 when one fails.
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "deploy/checks.hpp"
#include "deploy/json_views.hpp"
#include "deploy/text_views.hpp"
#include "util/error.hpp"

namespace sm::cli {
namespace {

int run_check(const GlobalOptions& options) {
    // 1. The config (the environment's checks) and the target.
    core::Config config = load_config(options);
    core::Target target = resolve_target(options, config);
    // 2. Run every check (read-only, no lock), then report.
    deploy::CheckReport report = deploy::check_target(config, target);
    if (options.format == Format::json) {
        print_document(deploy::check_report_json(report));
    } else {
        for (const auto& line : deploy::check_report_lines(report)) {
            say(options, line);
        }
    }
    return static_cast<int>(report.passed() ? ExitCode::ok : ExitCode::failure);
}

}  // namespace

Command check_command() {
    return {"check", "Run the post-deploy checks ([[execute.checks]]): exit 0 all passed, 1 not",
            [](CLI::App&) {}, [](const GlobalOptions& g) { return run_check(g); }, false};
}

}  // namespace sm::cli
