// safe-migrate adopt --from TOOL [--dry-run]: take over a database another
// migration tool has been running (deploy/adopt.hpp).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "core/version_json.hpp"
#include "deploy/adopt.hpp"

namespace sm::cli {

struct AdoptArgs {
    std::string from;
    bool dry_run = false;
};

namespace {

nlohmann::json ids(const std::vector<const core::Migration*>& migrations) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto* m : migrations) {
        out.push_back({{"version", m->version}, {"name", m->name}, {"checksum", m->up.checksum}});
    }
    return out;
}

void print_text(const GlobalOptions& options, const deploy::AdoptResult& r, const AdoptArgs& args) {
    const auto& c = r.choice;
    std::string verb = args.dry_run ? "would record " : "recorded ";
    for (const auto* m : c.record) {
        say(options, (args.dry_run ? "would adopt " : "adopted ") + m->id());
    }
    say(options, verb + std::to_string(c.record.size()) + " migration(s) from " + args.from + " (" +
                     r.table + ") as applied; " + std::to_string(c.already.size()) +
                     " already recorded, " + std::to_string(c.pending.size()) +
                     " pending for execute");
    if (args.dry_run) {
        say(options, "dry run: nothing was recorded");
    }
}

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
        print_ok({{"tool", args.from},
                  {"table", result.table},
                  {"dry_run", args.dry_run},
                  {"recorded", ids(result.choice.record)},
                  {"already_recorded", ids(result.choice.already)},
                  {"pending", ids(result.choice.pending)}});
    } else {
        print_text(options, result, args);
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
