// safe-migrate backfill status | pause | resume [--migration V] (deploy/backfill_admin.hpp).
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "deploy/backfill_admin.hpp"

namespace sm::cli {

Command backfill_command() {
    auto args = std::make_shared<std::pair<std::string, std::optional<int64_t>>>();
    return {"backfill", "Show, pause or resume backfills from any terminal, through the database",
            [args](CLI::App& sub) {
                sub.add_option("action", args->first, "status, pause or resume")
                    ->required()
                    ->check(one_of("action", {"status", "pause", "resume"}));
                sub.add_option("--migration", args->second, "Only the backfill of this version");
            },
            [args](const GlobalOptions& g) {
                core::Config config = load_config(g);
                auto report = deploy::backfill_admin(resolve_target(g, config), config, args->first,
                                                     args->second);
                g.format == Format::json ? print_document(report.json) : say(g, report.text);
                return 0;
            },
            false};
}

}  // namespace sm::cli
