// safe-migrate status: where the target stands against the migration files.
#include <iomanip>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/migration_layout.hpp"
#include "deploy/inspect.hpp"
#include "deploy/json_views.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

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

std::string percent(double value) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << value;
    return out.str();
}

std::string or_never(const std::string& at) {
    return at.empty() ? "never" : at;
}

void print_tables(const GlobalOptions& options, const std::vector<core::TableStats>& tables) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : tables) {
        rows.push_back(
            {t.schema + "." + t.name, t.estimated_rows < 0 ? "?" : std::to_string(t.estimated_rows),
             util::human_bytes(t.total_bytes), util::human_bytes(t.index_bytes),
             std::to_string(t.dead_tuples), or_never(t.last_vacuum), or_never(t.last_analyze)});
    }
    say(options, "");
    say_table(options,
              {"TABLE", "ROWS (EST.)", "TOTAL", "INDEXES", "DEAD", "LAST VACUUM", "LAST ANALYZE"},
              rows);
}

std::string describe(const std::optional<core::LongSession>& s) {
    if (!s) {
        return "none";
    }
    auto ms = std::chrono::milliseconds(static_cast<int64_t>(s->seconds * 1000));
    return util::format_duration(ms) + " (pid " + std::to_string(s->pid) + ", " + s->user +
           (s->application.empty() ? "" : ", " + s->application) + "): " + s->query;
}

void print_health(const GlobalOptions& options, const core::Health& h) {
    auto list = [&](const char* what, const std::vector<std::string>& items) {
        say(options, std::string(what) + (items.empty() ? "none" : util::join(items, ", ")));
    };
    say(options, "");
    say(options, "server:              PostgreSQL " + h.server_version);
    say(options, "database size:       " + util::human_bytes(h.database_bytes));
    say(options, "connections:         " + std::to_string(h.connections) + " of " +
                     std::to_string(h.max_connections));
    say(options, "longest running:     " + describe(h.longest_running));
    say(options, "longest idle in tx:  " + describe(h.longest_idle_in_transaction));
    std::vector<std::string> standbys;
    for (const auto& s : h.standbys) {
        standbys.push_back(s.name + " " + s.state + " replay lag " +
                           (s.replay_lag_bytes ? util::human_bytes(*s.replay_lag_bytes) : "?"));
    }
    list("standbys:            ", standbys);
    list("invalid indexes:     ", h.invalid_indexes);
    list("NOT VALID left:      ", h.unvalidated_constraints);
    std::vector<std::string> sequences;
    for (const auto& s : h.sequences_near_limit) {
        sequences.push_back(s.name + " " + percent(s.percent) + "% (" +
                            std::to_string(s.last_value) + " of " + std::to_string(s.max_value) +
                            ")");
    }
    list("sequences over 75%:  ", sequences);
}

int run_status(const GlobalOptions& options, const deploy::StatusExtras& extras) {
    // 1. Load the config and the migration sources.
    //    A directory with no migrations is a mistake, not "0 pending" (exit 3).
    planner::Project project = load_project(options);
    core::require_migrations(project.migrations);

    // 2. Read the target's history (no lock: status only reads) and compare
    //    it with the files; the exit code tells the result.
    //    With --tables and --health, the same session reads those too.
    auto status = deploy::read_status(project, resolve_target(options, project.config), extras);
    if (options.format == Format::json) {
        print_document(deploy::status_json(status));
        return static_cast<int>(status.report.exit_code());
    }
    print_text(options, status.target, status.report);
    if (status.tables) {
        print_tables(options, *status.tables);
    }
    if (status.health) {
        print_health(options, *status.health);
    }
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
