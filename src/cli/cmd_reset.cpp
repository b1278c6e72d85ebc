// safe-migrate reset: a development database from scratch (deploy/reset.hpp
// says what it drops, what it keeps and in which steps).
//
// The command line only checks its flags, builds the request, and prints the
// progress and the result, as text or JSON.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "deploy/json_views.hpp"
#include "deploy/reset.hpp"
#include "util/error.hpp"

namespace sm::cli {
namespace {

struct ResetArgs {
    bool confirm = false;  // required
    std::optional<int> scale;
    std::optional<std::string> lock_wait;
};

int run_reset(const GlobalOptions& options, const ResetArgs& args) {
    // 1. Insist on --env; a protected environment is refused whatever the
    //    flags, before --confirm is asked for.
    if (!options.env) {
        throw Error(ExitCode::usage, "reset needs --env",
                    "Name the development environment to reset.");
    }
    planner::Project project = load_project(options);
    deploy::refuse_protected_environment(project, *options.env);
    if (!args.confirm) {
        throw Error(ExitCode::usage,
                    "reset drops every schema the project manages in environment '" + *options.env +
                        "'; add --confirm");
    }

    // 2. The request: the target, the environment and the flags.
    deploy::ResetRequest request;
    request.project = &project;
    request.target = resolve_target(options, project.config);
    request.environment = *options.env;
    request.scale = args.scale;
    request.lock_wait =
        duration_flag(args.lock_wait, "--lock-wait", project.config.execute.lock_wait);
    // Progress is text; with --format json only the result is printed.
    if (options.format == Format::text) {
        request.progress = [&options](const std::string& line) { say(options, line); };
    }

    // 3. Reset, then print the result.
    deploy::ResetResult result = deploy::reset(request);
    if (options.format == Format::json) {
        print_document(deploy::reset_result_json(result, *options.env));
    } else {
        say(options, "reset finished: " + deploy::reset_summary(result));
    }
    return 0;
}

}  // namespace

Command reset_command() {
    auto args = std::make_shared<ResetArgs>();
    return {"reset",
            "Drop the project's schemas, re-apply every migration and re-seed (development)",
            [args](CLI::App& sub) {
                sub.add_flag("--confirm", args->confirm,
                             "Required: everything in the project's schemas is dropped");
                sub.add_option("--scale", args->scale, "Seed scale (default [seed] scale, else 1)")
                    ->check(CLI::Range(1, 100000));
                sub.add_option("--lock-wait", args->lock_wait,
                               "How long to wait for the migration lock");
            },
            [args](const GlobalOptions& g) { return run_reset(g, *args); }, false};
}

}  // namespace sm::cli
