// safe-migrate plan: what execute would do, for review, and the artifact it is held to.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/log.hpp"
#include "deploy/inspect.hpp"
#include "planner/plan.hpp"
#include "planner/policy.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace sm::cli {
namespace {

struct PlanArgs {
    std::optional<std::string> policy;
    std::optional<std::filesystem::path> out;
    bool trace = false;
};

int run_plan(const GlobalOptions& options, const PlanArgs& args) {
    // 1. Load the config, every script and the policy.
    planner::Project project = load_project(options);
    deploy::PlanRequest request{&project, resolve_target(options, project.config),
                                planner::load_policy(args.policy), args.trace};

    // 2. Plan against the target (with --trace, on a copy of its schema); then
    //    report and write the artifact that execute --plan is held to.
    planner::Plan plan = deploy::plan_for_target(request, [&](const planner::Plan& p) {
        std::string artifact = planner::plan_to_json(p);
        if (args.out) {
            util::write_file_atomic(*args.out, artifact);
            core::log_info("plan written to " + args.out->string());
        }
        std::string text = options.format == Format::json ? artifact : planner::render_plan_text(p);
        std::fwrite(text.data(), 1, text.size(), stdout);
    });

    // 3. Exit: 4 when the policy blocks the plan.
    return plan.allowed() ? 0 : static_cast<int>(ExitCode::policy);
}

}  // namespace

Command plan_command() {
    auto args = std::make_shared<PlanArgs>();
    return {
        "plan", "Show what execute would do (locks, table sizes, findings) and write the artifact",
        [args](CLI::App& sub) {
            sub.add_option("--policy", args->policy, "Policy: default, strict, or a .toml file");
            sub.add_option("--out", args->out,
                           "Write the plan artifact (JSON) that execute --plan checks");
            sub.add_flag("--trace", args->trace,
                         "Apply the migrations to a throwaway copy of the schema and observe "
                         "locks and rewrites");
        },
        [args](const GlobalOptions& g) { return run_plan(g, *args); }, false};
}

}  // namespace sm::cli
