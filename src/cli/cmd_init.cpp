// safe-migrate init and safe-migrate new NAME: start a project, start a migration.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/scaffold.hpp"

namespace sm::cli {
namespace {

struct NewArgs {
    std::string name;
    bool no_transaction = false;
};

// The created paths, one a line (relative to the working directory when under
// it), or {"created": [...]} in JSON.
int print_created(const GlobalOptions& options, const std::vector<std::filesystem::path>& paths) {
    std::vector<std::string> shown;
    for (const auto& p : paths) {
        auto rel = p.lexically_normal().lexically_proximate(std::filesystem::current_path());
        shown.push_back(rel.string().rfind("..", 0) == 0 ? p.string() : rel.string());
    }
    if (options.format == Format::json) {
        print_ok({{"created", shown}});
        return 0;
    }
    for (const auto& s : shown) {
        say(options, s);
    }
    return 0;
}

}  // namespace

Command init_command() {
    return {"init", "Start a project here: a commented safe-migrate.toml, migrations/ and a policy",
            [](CLI::App&) {},
            [](const GlobalOptions& g) {
                std::string dir = g.migrations_dir ? g.migrations_dir->string() : "migrations";
                return print_created(g, core::init_project(std::filesystem::current_path(), dir));
            }};
}

Command new_command() {
    auto args = std::make_shared<NewArgs>();
    return {"new",
            "Create a migration in the project's layout (native: <UTC timestamp>_NAME.up.sql "
            "and .down.sql)",
            [args](CLI::App& sub) {
                sub.add_option("name", args->name, "Letters, digits, '_' and '-'")->required();
                sub.add_flag(
                    "--no-transaction", args->no_transaction,
                    "Run the migration statement by statement (CREATE INDEX CONCURRENTLY), "
                    "with the layout's own marker");
            },
            [args](const GlobalOptions& g) {
                auto config = load_config(g);
                auto dir = config.migrations_dir;
                auto layout = core::resolve_layout(config.layout, dir);
                return print_created(
                    g, core::new_migration(dir, layout, args->name, args->no_transaction,
                                           std::chrono::system_clock::now()));
            }};
}

}  // namespace sm::cli
