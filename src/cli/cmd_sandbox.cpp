// safe-migrate sandbox start|stop|status|url: a throwaway PostgreSQL cluster.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "sandbox/cluster.hpp"
#include "util/error.hpp"

namespace sm::cli {

struct SandboxArgs {
    std::string action;  // start, stop, status, url
    std::optional<std::filesystem::path> state_file;
};

int run_sandbox(const GlobalOptions& options, const SandboxArgs& args) {
    std::filesystem::path state_file = args.state_file.value_or(sandbox::default_state_file());
    bool json = options.format == Format::json;
    if (args.action == "start") {
        auto state = sandbox::start_cluster(state_file);
        json ? print_ok({{"url", state.url()}, {"state_file", state_file.string()}})
             : print_document(state.url());
        return 0;
    }
    if (args.action == "stop") {
        sandbox::stop_cluster(state_file);
        if (json) {
            print_ok({{"stopped", true}});
        } else {
            say(options, "sandbox stopped and removed");
        }
        return 0;
    }
    auto state = sandbox::load_state(state_file);
    bool running = state && sandbox::is_running(*state);
    if (args.action == "url") {
        if (!running) {
            throw Error(ExitCode::failure,
                        "no sandbox is running (state file " + state_file.string() + ")",
                        "Start one with: safe-migrate sandbox start");
        }
        json ? print_ok({{"url", state->url()}}) : print_document(state->url());
        return 0;
    }
    // status
    if (json) {
        nlohmann::json out = {{"result", running ? "ok" : exit_code_name(ExitCode::failure)},
                              {"exit_code", running ? 0 : static_cast<int>(ExitCode::failure)},
                              {"running", running},
                              {"state_file", state_file.string()}};
        if (state) {
            out["url"] = state->url();
            out["port"] = state->port;
            out["directory"] = state->root.string();
            out["bindir"] = state->bindir.string();
        }
        print_document(out.dump(2));
    } else if (running) {
        say(options,
            "running on 127.0.0.1:" + std::to_string(state->port) + " in " + state->root.string());
        say(options, state->url());
    } else {
        say(options, "not running");
    }
    return running ? 0 : static_cast<int>(ExitCode::failure);
}

Command sandbox_command() {
    auto args = std::make_shared<SandboxArgs>();
    return {
        "sandbox", "Start, stop or locate a throwaway PostgreSQL cluster",
        [args](CLI::App& sub) {
            sub.add_option("action", args->action, "start, stop, status or url")
                ->required()
                ->check(one_of("sandbox action", {"start", "stop", "status", "url"}));
            sub.add_option(
                "--state", args->state_file,
                "State file (default .safe-migrate/sandbox.json or $SAFE_MIGRATE_SANDBOX_STATE)");
        },
        [args](const GlobalOptions& g) { return run_sandbox(g, *args); }, false};
}

}  // namespace sm::cli
