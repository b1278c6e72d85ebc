// safe-migrate rollback: run down files, newest first.
//
// The command line checks the flags, resolves the request, hands it to
// deploy/rollback.hpp (lock, choose, refuse a missing down file, confirm on a
// protected environment, lint the down files, back up, revert, record,
// notify), and prints its progress.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "deploy/rollback.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::cli {

struct RollbackArgs {
    std::optional<int> steps;
    std::optional<std::string> to;
    std::optional<std::string> only;
    std::optional<std::string> lock_wait;
    std::optional<std::string> confirm;  // the target's database name
};

int run_rollback(const GlobalOptions& options, const RollbackArgs& args) {
    util::InterruptGuard interrupts;
    if ((args.steps ? 1 : 0) + (args.to ? 1 : 0) + (args.only ? 1 : 0) > 1) {
        throw Error(ExitCode::usage, "give one of --steps, --to and --only");
    }
    if (args.steps && *args.steps < 1) {
        throw Error(ExitCode::usage, "--steps must be at least 1");
    }

    // 1. Load the config and every script; resolve the request.
    planner::Project project = load_project(options);
    deploy::RollbackRequest request;
    request.project = &project;
    request.settings = project.config.execute;
    request.settings.lock_wait =
        duration_flag(args.lock_wait, "--lock-wait", request.settings.lock_wait);
    request.to = core::optional_version_flag("--to", args.to);
    request.only = core::optional_version_flag("--only", args.only);
    request.steps = args.steps.value_or(1);
    request.confirm = args.confirm;
    request.quiet_tools = options.quiet;
    request.target = resolve_target(options, project.config);
    request.io = deploy::real_boundaries(request.target, project.config);

    // 2. Revert, showing the down files' findings and the backup, and saying
    //    each migration as it goes (text); with --format json, only the result.
    GlobalOptions progress_options = options;
    progress_options.quiet = options.quiet || options.format == Format::json;
    nlohmann::json reverted = nlohmann::json::array();
    deploy::RollbackProgress progress;
    progress.finding = [&](const std::string& line) { say(progress_options, line); };
    progress.backup_verified = [&](const backup::Manifest& m) {
        say(progress_options, "pre-change backup " + m.id + " verified");
    };
    progress.reverting = [&](const std::string& id) { say(progress_options, "reverting " + id); };
    progress.reverted = [&](const std::string& id, std::chrono::milliseconds took) {
        reverted.push_back({{"id", id}, {"duration_ms", took.count()}});
        say(progress_options, "  done in " + util::format_duration(took));
    };
    deploy::RollbackResult result = deploy::rollback(request, progress);
    if (options.format == Format::json) {
        print_ok({{"reverted", reverted}});
    } else {
        say(options, result.chosen == 0
                         ? "nothing to roll back"
                         : "reverted " + std::to_string(result.reverted) + " migration(s)");
    }
    return 0;
}

Command rollback_command() {
    auto args = std::make_shared<RollbackArgs>();
    return {"rollback", "Revert applied migrations with their down files, newest first",
            [args](CLI::App& sub) {
                sub.add_option("--steps", args->steps, "How many migrations to revert (default 1)");
                sub.add_option("--to", args->to, "Revert everything newer than this version");
                sub.add_option("--only", args->only,
                               "Revert this one applied migration, if nothing applied needs it");
                sub.add_option("--lock-wait", args->lock_wait,
                               "How long to wait for the migration lock");
                sub.add_option("--confirm", args->confirm,
                               "The target database's name (needed on a protected environment)");
            },
            [args](const GlobalOptions& g) { return run_rollback(g, *args); }, false};
}

}  // namespace sm::cli
