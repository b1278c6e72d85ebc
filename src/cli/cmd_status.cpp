// safe-migrate status: where the target stands against the migration files.
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/migration_layout.hpp"
#include "deploy/inspect.hpp"
#include "deploy/json_views.hpp"
#include "deploy/text_views.hpp"
#include "util/error.hpp"

namespace sm::cli {
namespace {

void print_text(const GlobalOptions& options, const deploy::TargetStatus& status) {
    const executor::StatusReport& report = status.report;
    say(options, "target: " + status.target);
    say(options, "head:   " + (report.head ? core::to_string(*report.head)
                                           : std::string("(nothing applied)")));
    say(options, "");
    deploy::TextTable migrations = deploy::migrations_table(report);
    say_table(options, migrations.header, migrations.rows);
    say(options, "");
    say(options, deploy::status_summary(report));
    if (status.tables) {
        deploy::TextTable tables = deploy::table_stats_table(*status.tables);
        say(options, "");
        say_table(options, tables.header, tables.rows);
    }
    if (status.health) {
        say(options, "");
        for (const auto& line : deploy::health_lines(*status.health)) {
            say(options, line);
        }
    }
}

int run_status(const GlobalOptions& options, const deploy::StatusExtras& extras) {
    // 1. Load the config and the migration sources.
    //    A directory with no migrations is a mistake, not "0 pending" (exit 3).
    planner::Project project = load_project(options);
    core::require_migrations(project.migrations);

    // 2. Read the target's history (no lock: status only reads) and compare
    //    it with the files (and --tables, --health); the exit code tells the result.
    auto status = deploy::read_status(project, resolve_target(options, project.config), extras);
    if (options.format == Format::json) {
        print_document(deploy::status_json(status));
        return static_cast<int>(status.report.exit_code());
    }
    print_text(options, status);
    return static_cast<int>(status.report.exit_code());
}

}  // namespace

Command status_command() {
    auto extras = std::make_shared<deploy::StatusExtras>();
    return {"status", "Show applied, pending, changed, missing and partial migrations",
            [extras](CLI::App& sub) {
                sub.add_flag("--tables", extras->tables,
                             "Also each table: estimated rows, sizes, dead tuples, maintenance");
                sub.add_flag("--health", extras->health,
                             "Also the server's health: size, connections, long sessions, "
                             "replication lag, invalid indexes, NOT VALID constraints, sequences");
            },
            [extras](const GlobalOptions& g) { return run_status(g, *extras); }, false};
}

}  // namespace sm::cli
