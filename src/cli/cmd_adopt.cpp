// safe-migrate adopt --from TOOL [--dry-run]: take over a database another
// migration tool has been running (deploy/adopt.hpp).
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "deploy/adopt.hpp"
#include "deploy/json_views.hpp"
#include "deploy/text_views.hpp"

namespace sm::cli {

struct AdoptArgs {
    std::string from;
    bool dry_run = false;
};

namespace {

int run_adopt(const GlobalOptions& global, const AdoptArgs& args) {
    // 1. The project in the tool's layout (unless --layout names one).
    GlobalOptions options = global;
    if (!options.layout) {
        options.layout = args.from;
    }
    planner::Project project = load_project(options);

    // 2. Read the tool's history and record what it applied.
    deploy::AdoptRequest request;
    request.project = &project;
    request.target = resolve_target(options, project.config);
    request.tool = *core::parse_layout(args.from);
    request.dry_run = args.dry_run;
    deploy::AdoptResult result = deploy::adopt(request);

    // 3. Say what was (or would be) recorded.
    if (options.format == Format::json) {
        print_document(deploy::adopt_json(result, args.from, args.dry_run));
        return 0;
    }
    for (const auto& line : deploy::adopt_lines(result, args.from, args.dry_run)) {
        say(options, line);
    }
    return 0;
}

}  // namespace

Command adopt_command() {
    auto args = std::make_shared<AdoptArgs>();
    return {"adopt", "Record the migrations another tool applied as applied (nothing is run)",
            [args](CLI::App& sub) {
                sub.add_option("--from", args->from,
                               "The tool: flyway, dbmate, golang-migrate, goose, diesel, prisma")
                    ->required()
                    ->check(one_of("--from", {"flyway", "dbmate", "golang-migrate", "goose",
                                              "diesel", "prisma"}));
                sub.add_flag("--dry-run", args->dry_run, "Show what would be recorded");
            },
            [args](const GlobalOptions& g) { return run_adopt(g, *args); }, false};
}

}  // namespace sm::cli
