// safe-migrate status: where the target stands against the migration files.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/migration_layout.hpp"
#include "deploy/inspect.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

ExitCode status_exit_code(const executor::StatusReport& report) {
    if (report.has_drift()) {
        return ExitCode::drift;
    }
    return report.has_pending() ? ExitCode::pending : ExitCode::ok;
}

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
    std::string summary =
        std::to_string(report.applied) + " applied, " + std::to_string(report.pending) + " pending";
    auto add = [&](int n, const char* what) {
        if (n > 0) {
            summary += ", " + std::to_string(n) + " " + what;
        }
    };
    add(report.out_of_order, "out of order");
    add(report.changed, "changed");
    add(report.missing, "missing");
    add(report.partial, "partially applied");
    say(options, summary);
}

void print_json(const std::string& target, const executor::StatusReport& report, ExitCode code) {
    nlohmann::json migrations = nlohmann::json::array();
    for (const auto& e : report.entries) {
        nlohmann::json m = {
            {"version", e.version}, {"name", e.name}, {"state", executor::state_name(e.state)}};
        m["applied_at"] =
            e.applied_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.applied_at);
        m["recorded_checksum"] = e.recorded_checksum.empty() ? nlohmann::json(nullptr)
                                                             : nlohmann::json(e.recorded_checksum);
        m["file_checksum"] =
            e.file_checksum.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.file_checksum);
        m["detail"] = e.detail;
        migrations.push_back(std::move(m));
    }
    nlohmann::json out = {
        {"target", target},
        {"head", report.head ? nlohmann::json(*report.head) : nlohmann::json(nullptr)},
        {"summary",
         {{"applied", report.applied},
          {"pending", report.pending},
          {"out_of_order", report.out_of_order},
          {"changed", report.changed},
          {"missing", report.missing},
          {"partial", report.partial}}},
        {"result", exit_code_name(code)},
        {"exit_code", static_cast<int>(code)},
        {"migrations", migrations}};
    std::printf("%s\n", out.dump(2).c_str());
}

int run_status(const GlobalOptions& options) {
    // 1. Load the config and the migration sources.
    //    A directory with no migrations is a mistake, not "0 pending" (exit 3).
    planner::Project project = load_project(options);
    core::require_migrations(project.migrations);

    // 2. Read the target's history (no lock: status only reads) and compare
    //    it with the files; the exit code tells the result.
    auto status = deploy::read_status(project, resolve_target(options, project.config));
    ExitCode code = status_exit_code(status.report);
    if (options.format == Format::json) {
        print_json(status.target, status.report, code);
    } else {
        print_text(options, status.target, status.report);
    }
    return static_cast<int>(code);
}

}  // namespace

Command status_command() {
    return {"status", "Show applied, pending, changed, missing and partial migrations",
            [](CLI::App&) {}, [](const GlobalOptions& g) { return run_status(g); }, false};
}

}  // namespace sm::cli
