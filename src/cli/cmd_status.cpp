// safe-migrate status: where the target stands against the migration files.
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/migration_layout.hpp"
#include "deploy/inspect.hpp"
#include "deploy/json_views.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

void print_text(const GlobalOptions& options, const std::string& target,
                const executor::StatusReport& report) {
    say(options, "target: " + target);
    say(options, "head:   " + (report.head ? std::to_string(*report.head)
                                           : std::string("(nothing applied)")));
    say(options, "");
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : report.entries) {
        rows.push_back({std::to_string(e.version), e.name, executor::state_name(e.state),
                        e.applied_at, e.detail});
        if (e.state == executor::MigrationState::changed) {
            rows.push_back({"", "", "", "", "recorded " + e.recorded_checksum});
            rows.push_back({"", "", "", "", "file     " + e.file_checksum});
        }
    }
    say_table(options, {"VERSION", "NAME", "STATE", "APPLIED AT", "DETAIL"}, rows);
    say(options, "");
    say(options, deploy::status_summary(report));
}

int run_status(const GlobalOptions& options) {
    // 1. Load the config and the migration sources.
    //    A directory with no migrations is a mistake, not "0 pending" (exit 3).
    planner::Project project = load_project(options);
    core::require_migrations(project.migrations);

    // 2. Read the target's history (no lock: status only reads) and compare
    //    it with the files; the exit code tells the result.
    auto status = deploy::read_status(project, resolve_target(options, project.config));
    if (options.format == Format::json) {
        print_document(deploy::status_json(status));
    } else {
        print_text(options, status.target, status.report);
    }
    return static_cast<int>(status.report.exit_code());
}

}  // namespace

Command status_command() {
    return {"status", "Show applied, pending, changed, missing and partial migrations",
            [](CLI::App&) {}, [](const GlobalOptions& g) { return run_status(g); }, false};
}

}  // namespace sm::cli
