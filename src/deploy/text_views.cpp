#include "deploy/text_views.hpp"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <sstream>

#include "deploy/checks.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

std::string one_decimal(double value) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << value;
    return out.str();
}

std::string or_never(const std::string& at) {
    return at.empty() ? "never" : at;
}

std::string describe_session(const std::optional<core::LongSession>& s) {
    if (!s) {
        return "none";
    }
    auto ms = std::chrono::milliseconds(static_cast<int64_t>(s->seconds * 1000));
    return util::format_duration(ms) + " (pid " + std::to_string(s->pid) + ", " + s->user +
           (s->application.empty() ? "" : ", " + s->application) + "): " + s->query;
}

std::string listed(const char* what, const std::vector<std::string>& items) {
    return std::string(what) + (items.empty() ? "none" : util::join(items, ", "));
}

}  // namespace

TextTable migrations_table(const executor::StatusReport& report) {
    TextTable t{{"VERSION", "NAME", "STATE", "APPLIED AT", "DETAIL"}, {}};
    for (const auto& e : report.entries) {
        t.rows.push_back({core::to_string(e.version), e.name, executor::state_name(e.state),
                          e.applied_at, e.detail});
        if (e.state == executor::MigrationState::changed) {
            t.rows.push_back({"", "", "", "", "recorded " + e.recorded_checksum});
            t.rows.push_back({"", "", "", "", "file     " + e.file_checksum});
        }
    }
    return t;
}

TextTable table_stats_table(const std::vector<core::TableStats>& tables) {
    TextTable out{
        {"TABLE", "ROWS (EST.)", "TOTAL", "INDEXES", "DEAD", "LAST VACUUM", "LAST ANALYZE"}, {}};
    for (const auto& t : tables) {
        out.rows.push_back(
            {t.schema + "." + t.name, t.estimated_rows < 0 ? "?" : std::to_string(t.estimated_rows),
             util::human_bytes(t.total_bytes), util::human_bytes(t.index_bytes),
             std::to_string(t.dead_tuples), or_never(t.last_vacuum), or_never(t.last_analyze)});
    }
    return out;
}

std::vector<std::string> health_lines(const core::Health& h) {
    std::vector<std::string> standbys;
    for (const auto& s : h.standbys) {
        standbys.push_back(s.name + " " + s.state + " replay lag " +
                           (s.replay_lag_bytes ? util::human_bytes(*s.replay_lag_bytes) : "?"));
    }
    std::vector<std::string> sequences;
    for (const auto& s : h.sequences_near_limit) {
        sequences.push_back(s.name + " " + one_decimal(s.percent) + "% (" +
                            std::to_string(s.last_value) + " of " + std::to_string(s.max_value) +
                            ")");
    }
    return {"server:              PostgreSQL " + h.server_version,
            "database size:       " + util::human_bytes(h.database_bytes),
            "connections:         " + std::to_string(h.connections) + " of " +
                std::to_string(h.max_connections),
            "longest running:     " + describe_session(h.longest_running),
            "longest idle in tx:  " + describe_session(h.longest_idle_in_transaction),
            listed("standbys:            ", standbys),
            listed("invalid indexes:     ", h.invalid_indexes),
            listed("NOT VALID left:      ", h.unvalidated_constraints),
            listed("sequences over 75%:  ", sequences)};
}

std::vector<std::string> check_report_lines(const CheckReport& report) {
    std::vector<std::string> lines = {"target: " + report.target};
    size_t failed = 0;
    for (const auto& r : report.results) {
        failed += r.passed ? 0 : 1;
        lines.push_back(std::string(r.passed ? "  passed  " : "  FAILED  ") + r.name + " (" +
                        r.kind + ", " + util::format_duration(r.took) + ")" +
                        (r.passed ? "" : ": " + r.detail));
    }
    if (report.results.empty()) {
        lines.emplace_back(
            "no post-deploy checks are configured: add [[execute.checks]] to safe-migrate.toml");
    } else {
        lines.push_back(std::to_string(report.results.size()) +
                        " check(s): " + std::to_string(report.results.size() - failed) +
                        " passed, " + std::to_string(failed) + " failed");
    }
    return lines;
}

std::vector<std::string> seed_run_lines(const seed::SeedRunSummary& s) {
    if (s.seeds == 0) {
        return {"nothing to seed: every seed of environment '" + s.environment + "' is applied"};
    }
    std::vector<std::string> lines = {
        "seeded " + std::to_string(s.seeds) + " seed(s) into environment '" + s.environment +
        "' at scale " + std::to_string(s.scale) + " in " + util::format_duration(s.took) + ": " +
        std::to_string(s.total_rows()) + " row(s) inserted"};
    size_t width = 0;
    for (const auto& [table, count] : s.rows) {
        width = std::max(width, table.size());
    }
    for (const auto& [table, count] : s.rows) {
        lines.push_back("  " + table + std::string(width - table.size() + 2, ' ') +
                        std::to_string(count));
    }
    return lines;
}

TextTable catalog_table(const backup::Catalog& catalog) {
    TextTable t{{"ID", "STATE", "KIND", "FINISHED", "DATABASE", "SIZE", "HEAD", "NOTE"}, {}};
    for (const auto& e : catalog.backups) {
        if (!e.manifest) {
            t.rows.push_back({e.dir.filename().string(), e.incomplete ? "incomplete" : "unreadable",
                              "", "", "", "", "", e.problem});
            continue;
        }
        const auto& m = *e.manifest;
        t.rows.push_back({m.id, backup::state_name(m.state), backup::kind_name(m.kind),
                          m.finished_at.substr(0, 19), m.source.database,
                          m.usable() ? util::human_bytes(m.total_bytes) : "-",
                          m.migration_head ? core::to_string(*m.migration_head) : "-",
                          (m.pinned ? "pinned " : "") + m.error});
    }
    return t;
}

std::vector<std::string> pre_restore_note(const PreRestoreShown& pre) {
    if (pre.error) {
        return {"pre-restore databases not listed: " + *pre.error};
    }
    if (pre.databases.empty()) {
        return {};
    }
    return {"databases kept by restores (backup prune --pre-restore --confirm DB drops them):"};
}

TextTable pre_restore_table(const PreRestoreShown& pre) {
    TextTable t{{"DATABASE", "AGE", "SIZE"}, {}};
    for (const auto& d : pre.databases) {
        t.rows.push_back({d.name, pre_restore_age(d), util::human_bytes(d.bytes)});
    }
    return t;
}

namespace {

std::vector<std::string> restore_point_lines(const CatalogRestoreResult& done) {
    std::string carried = std::to_string(done.restored.events_carried) + " event(s) carried over";
    if (done.carried_only) {
        return {carried + " from " + done.events_file};
    }
    if (done.steps.empty()) {
        return {"rewound the cluster to " + done.restore_point + " in " +
                util::format_duration(done.restored.took) + "; " + carried};
    }
    std::vector<std::string> lines = {
        "events exported to " + done.events_file +
        "; run these steps on the database host as the cluster's owner:"};
    for (const auto& step : done.steps) {
        lines.push_back("  " + step);
    }
    return lines;
}

}  // namespace

std::vector<std::string> restore_result_lines(const CatalogRestoreResult& done) {
    if (!done.restore_point.empty()) {
        return restore_point_lines(done);
    }
    const backup::RestoreResult& result = done.restored;
    std::vector<std::string> lines;
    if (result.safety_id) {
        lines.push_back("safety backup of the target: " + *result.safety_id);
    }
    for (const auto& t : result.terminated) {
        lines.push_back("terminated " + t + " (--force)");
    }
    lines.push_back("restored " + done.backup_id + " into " + result.database + " in " +
                    util::format_duration(result.took) + "; table list and row counts match");
    if (!result.previous_database.empty()) {
        lines.push_back("the previous database is kept as " + result.previous_database +
                        " (drop it once you are sure)");
    }
    return lines;
}

std::vector<std::string> adopt_lines(const AdoptResult& result, const std::string& tool,
                                     bool dry_run) {
    const AdoptChoice& c = result.choice;
    std::vector<std::string> lines;
    for (const auto* m : c.record) {
        lines.push_back((dry_run ? "would adopt " : "adopted ") + m->id());
    }
    lines.push_back((dry_run ? "would record " : "recorded ") + std::to_string(c.record.size()) +
                    " migration(s) from " + tool + " (" + result.table + ") as applied; " +
                    std::to_string(c.already.size()) + " already recorded, " +
                    std::to_string(c.pending.size()) + " pending for execute");
    if (dry_run) {
        lines.emplace_back("dry run: nothing was recorded");
    }
    return lines;
}

}  // namespace sm::deploy
