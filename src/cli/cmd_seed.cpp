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
#include "deploy/seed.hpp"
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

std::string detail_of(const seed::SeedEntry& e) {
    switch (e.state) {
        case seed::SeedState::pending: {
            std::vector<std::string> ids;
            if (e.seed == nullptr) {  // a pending seed has its file; the analyzer cannot know
                return "";
            }
            for (const auto& r : e.seed->requires_) {
                ids.push_back(r.id);
            }
            return ids.empty() ? "" : "requires " + util::join(ids, ", ");
        }
        case seed::SeedState::rerun:
            return "file changed; re-runs on the next seed run";
        case seed::SeedState::changed:
            return "file changed since it ran, and it is not re-runnable";
        case seed::SeedState::missing:
            return "recorded, but the file is gone";
        case seed::SeedState::applied:
            break;
    }
    return e.applied && e.applied->runs > 1 ? std::to_string(e.applied->runs) + " runs" : "";
}

int print_status(const GlobalOptions& options, const std::string& target,
                 const seed::SeedReport& report) {
    ExitCode code = report.has_drift()     ? ExitCode::drift
                    : report.has_pending() ? ExitCode::pending
                                           : ExitCode::ok;
    if (options.format == Format::json) {
        nlohmann::json seeds = nlohmann::json::array();
        for (const auto& e : report.entries) {
            nlohmann::json s = {
                {"id", e.id},
                {"state", seed::state_name(e.state)},
                {"environments", e.seed ? e.seed->environments : std::vector<std::string>{}},
                {"file", e.seed ? e.seed->path.string() : ""},
                {"rerunnable", e.seed && e.seed->rerunnable},
                {"protected_ok", e.seed && e.seed->protected_ok},
                {"has_rollback", e.seed && e.seed->rollback.has_value()},
                {"detail", detail_of(e)}};
            s["applied"] = nullptr;
            if (e.applied) {
                s["applied"] = {{"environment", e.applied->environment},
                                {"at", e.applied->applied_at},
                                {"by", e.applied->applied_by},
                                {"duration_ms", e.applied->duration_ms},
                                {"scale", e.applied->scale},
                                {"runs", e.applied->runs},
                                {"checksum", e.applied->checksum}};
            }
            seeds.push_back(std::move(s));
        }
        nlohmann::json out = {
            {"target", target},
            {"environment", options.env ? nlohmann::json(*options.env) : nlohmann::json(nullptr)},
            {"summary",
             {{"applied", report.count(seed::SeedState::applied)},
              {"pending", report.count(seed::SeedState::pending)},
              {"rerun", report.count(seed::SeedState::rerun)},
              {"changed", report.count(seed::SeedState::changed)},
              {"missing", report.count(seed::SeedState::missing)}}},
            {"result", exit_code_name(code)},
            {"exit_code", static_cast<int>(code)},
            {"seeds", seeds}};
        std::printf("%s\n", out.dump(2).c_str());
        return static_cast<int>(code);
    }
    say(options, "target: " + target);
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
             detail_of(e)});
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
    return static_cast<int>(code);
}

void print_result(const GlobalOptions& options, const std::string& action, int count,
                  const std::string& text) {
    if (options.format == Format::json) {
        nlohmann::json out = {
            {"result", "ok"},
            {"action", action},
            {"environment", options.env ? nlohmann::json(*options.env) : nlohmann::json(nullptr)},
            {"count", count}};
        std::printf("%s\n", out.dump(2).c_str());
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
        return print_status(options, status.target, status.report);
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

    // 4. Do it, then print the result.
    int done = deploy::change_seeds(request);
    std::string environment = config.environment.value_or("");
    if (args.action == "run") {
        print_result(options, "run", done,
                     done == 0 ? "nothing to seed: every seed of environment '" + environment +
                                     "' is applied"
                               : "seeded " + std::to_string(done) + " seed(s) into environment '" +
                                     environment + "'");
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
