// safe-migrate seed run|status|rollback|clear: data for an environment.
//
// The command line only checks its flags, builds the request for the seed
// library (deploy/seed.hpp), and prints the progress and the result, as text
// or JSON.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "deploy/json_views.hpp"
#include "deploy/seed.hpp"
#include "deploy/text_views.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

struct SeedArgs {
    std::string action;             // run, status, rollback, clear
    std::optional<std::string> id;  // rollback: the seed
    std::optional<int> scale;       // run: overrides [seed] scale
    bool confirm = false;           // clear: required
    std::optional<std::string> lock_wait;
};

void check_args(const GlobalOptions& options, const SeedArgs& args) {
    const std::string& action = args.action;
    // rollback needs it too: the environment decides whether it is protected,
    // and must be the one the seed was applied to.
    if ((action == "run" || action == "clear" || action == "rollback") && !options.env) {
        throw Error(ExitCode::usage, "seed " + action + " needs --env",
                    "Seeds belong to environments; name the one to " +
                        std::string(action == "run"     ? "seed"
                                    : action == "clear" ? "clear"
                                                        : "roll the seed back in") +
                        ".");
    }
    if (action == "rollback" && !args.id) {
        throw Error(ExitCode::usage, "seed rollback needs --id", "Example: --id 010_users.");
    }
    if (action != "rollback" && args.id) {
        throw Error(ExitCode::usage, "--id is only for seed rollback");
    }
    if (action != "run" && args.scale) {
        throw Error(ExitCode::usage, "--scale is only for seed run");
    }
    if (action == "clear" && !args.confirm) {
        throw Error(ExitCode::usage, "seed clear rolls back every applied seed of environment '" +
                                         *options.env + "'; add --confirm");
    }
}

int print_status(const GlobalOptions& options, const deploy::SeedStatus& status) {
    const seed::SeedReport& report = status.report;
    if (options.format == Format::json) {
        print_document(deploy::seed_status_json(status, options.env));
        return static_cast<int>(report.exit_code());
    }
    say(options, "target: " + status.target);
    say(options, "environment: " + options.env.value_or("(all)"));
    say(options, "");
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : report.entries) {
        rows.push_back(
            {e.id, e.seed ? util::join(e.seed->environments, ",") : "", seed::state_name(e.state),
             e.applied ? e.applied->applied_at : "",
             e.applied ? std::to_string(e.applied->scale) : "",
             e.applied ? util::format_duration(std::chrono::milliseconds(e.applied->duration_ms))
                       : "",
             seed::entry_detail(e)});
    }
    say_table(options, {"SEED", "ENVIRONMENTS", "STATE", "APPLIED AT", "SCALE", "TOOK", "DETAIL"},
              rows);
    say(options, "");
    say(options, std::to_string(report.count(seed::SeedState::applied)) + " applied, " +
                     std::to_string(report.count(seed::SeedState::pending) +
                                    report.count(seed::SeedState::rerun)) +
                     " to run, " + std::to_string(report.count(seed::SeedState::changed)) +
                     " changed, " + std::to_string(report.count(seed::SeedState::missing)) +
                     " missing");
    return static_cast<int>(report.exit_code());
}

void print_result(const GlobalOptions& options, const std::string& action, int count,
                  const std::string& text) {
    if (options.format == Format::json) {
        print_ok({{"action", action},
                  {"environment", options.env ? nlohmann::json(*options.env) : nullptr},
                  {"count", count}});
    } else {
        say(options, text);
    }
}

deploy::SeedAction action_of(const std::string& action) {
    return action == "run"        ? deploy::SeedAction::run
           : action == "rollback" ? deploy::SeedAction::rollback
                                  : deploy::SeedAction::clear;
}

int run_seed(const GlobalOptions& options, const SeedArgs& args) {
    // 1. Flags that cannot go together, then the config.
    check_args(options, args);
    core::Config config = load_config(options);
    core::Target target = resolve_target(options, config);

    // 2. status only reads: no lock.
    if (args.action == "status") {
        deploy::SeedStatus status = deploy::read_seed_status(config, target);
        return print_status(options, status);
    }

    // 3. The request: the action and the flags; progress is text only.
    deploy::SeedRequest request;
    request.config = &config;
    request.target = target;
    request.action = action_of(args.action);
    request.id = args.id.value_or("");
    request.scale = args.scale;
    request.lock_wait = duration_flag(args.lock_wait, "--lock-wait", config.execute.lock_wait);
    if (options.format == Format::text) {
        request.progress = [&options](const std::string& line) { say(options, line); };
    }

    // 4. Do it, then print the result (run: its summary).
    seed::SeedRunSummary summary;
    request.summary = &summary;
    int done = deploy::change_seeds(request);
    std::string environment = config.environment.value_or("");
    if (args.action == "run" && options.format == Format::json) {
        print_document(deploy::seed_run_json(summary));
    } else if (args.action == "run") {
        for (const auto& line : deploy::seed_run_lines(summary)) {
            say(options, line);
        }
    } else if (args.action == "rollback") {
        print_result(options, "rollback", 1, "rolled back seed " + *args.id);
    } else {
        print_result(options, "clear", done,
                     "rolled back " + std::to_string(done) + " seed(s) of environment '" +
                         environment + "'");
    }
    return 0;
}

}  // namespace

Command seed_command() {
    auto args = std::make_shared<SeedArgs>();
    return {"seed", "Run, list, roll back or clear the seeds of an environment (--env)",
            [args](CLI::App& sub) {
                sub.add_option("action", args->action, "run, status, rollback or clear")
                    ->required()
                    ->check(one_of("seed action", {"run", "status", "rollback", "clear"}));
                sub.add_option("--id", args->id,
                               "rollback: the seed (its file stem, e.g. 010_users)");
                sub.add_option("--scale", args->scale,
                               "run: multiply the seeds' row counts (default [seed] scale, else 1)")
                    ->check(CLI::Range(1, 100000));
                sub.add_flag("--confirm", args->confirm,
                             "clear: roll back every applied seed of the environment");
                sub.add_option("--lock-wait", args->lock_wait,
                               "How long to wait for the migration lock");
            },
            [args](const GlobalOptions& g) { return run_seed(g, *args); }, false};
}

}  // namespace sm::cli
