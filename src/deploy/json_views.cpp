#include "deploy/json_views.hpp"

#include <nlohmann/json.hpp>

#include "core/version_json.hpp"
#include "deploy/checks.hpp"
#include "deploy/phases.hpp"
#include "planner/plan.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

using nlohmann::json;

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json entry_json(const backup::CatalogEntry& e) {
    if (!e.manifest) {
        return {{"id", e.dir.filename().string()},
                {"state", e.incomplete ? "incomplete" : "unreadable"},
                {"problem", e.problem}};
    }
    const backup::Manifest& m = *e.manifest;
    return {{"id", m.id},
            {"state", backup::state_name(m.state)},
            {"kind", backup::kind_name(m.kind)},
            {"label", m.label},
            {"started_at", m.started_at},
            {"finished_at", m.finished_at},
            {"duration_ms", m.duration_ms},
            {"database", m.source.database},
            {"host", m.source.host},
            {"port", m.source.port},
            {"system_identifier", m.source.system_identifier},
            {"migration_head", or_null(m.migration_head)},
            {"format", m.archive_format},
            {"total_bytes", m.total_bytes},
            {"tables", m.tables.size()},
            {"pinned", m.pinned},
            {"error", m.error},
            {"cipher", m.encrypted() ? json(m.cipher) : json(nullptr)},  // null: not encrypted
            {"key_fingerprint", m.encrypted() ? json(m.key_fingerprint) : json(nullptr)},
            {"path", e.dir.string()}};
}

// An entry of the catalog; a restore point also says where it is.
json summary_json(const backup::CatalogEntry& e) {
    json summary = entry_json(e);
    if (e.manifest && e.manifest->restore_point) {
        const backup::RestorePointInfo& rp = *e.manifest->restore_point;
        summary["restore_point"] = {{"name", rp.name},
                                    {"lsn", rp.lsn},
                                    {"stanza", rp.stanza},
                                    {"base_backup", rp.base_backup}};
    }
    return summary;
}

json pre_restore_json(const PreRestoreShown& pre) {
    if (!pre.looked) {
        return nullptr;
    }
    if (pre.error) {
        return {{"error", *pre.error}};
    }
    json out = json::array();
    for (const auto& d : pre.databases) {
        out.push_back({{"database", d.name},
                       {"kept_at", util::format_utc(*d.kept_at)},
                       {"age", pre_restore_age(d)},
                       {"bytes", d.bytes}});
    }
    return out;
}

json override_json(const std::optional<PolicyOverridden>& o) {
    if (!o) {
        return nullptr;
    }
    return {{"policy", o->policy}, {"findings", o->findings}, {"reason", o->reason}};
}

json seed_json(const seed::SeedEntry& e) {
    json s = {{"id", e.id},
              {"state", seed::state_name(e.state)},
              {"environments", e.seed ? e.seed->environments : std::vector<std::string>{}},
              {"file", e.seed ? e.seed->path.string() : ""},
              {"rerunnable", e.seed && e.seed->rerunnable},
              {"protected_ok", e.seed && e.seed->protected_ok},
              {"has_rollback", e.seed && e.seed->rollback.has_value()},
              {"detail", seed::entry_detail(e)}};
    s["applied"] = nullptr;
    if (e.applied) {
        s["applied"] = {{"environment", e.applied->environment},
                        {"at", e.applied->applied_at},
                        {"by", e.applied->applied_by},
                        {"duration_ms", e.applied->duration_ms},
                        {"scale", e.applied->scale},
                        {"runs", e.applied->runs},
                        {"checksum", e.applied->checksum}};
    }
    return s;
}

json checks_json(const std::vector<CheckResult>& checks) {
    json list = json::array();
    for (const auto& c : checks) {
        list.push_back({{"name", c.name},
                        {"kind", c.kind},
                        {"result", c.passed ? "passed" : "failed"},
                        {"detail", c.detail},
                        {"duration_ms", c.took.count()}});
    }
    return list;
}

// An empty text is null.
json text_or_null(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

}  // namespace

std::string backup_created_json(const backup::CatalogEntry& entry) {
    return json({{"result", "ok"}, {"backup", summary_json(entry)}}).dump(2);
}

std::string catalog_json(const backup::Catalog& catalog, const PreRestoreShown& pre) {
    json backups = json::array();
    for (const auto& e : catalog.backups) {
        backups.push_back(summary_json(e));
    }
    json leftovers = json::array();
    for (const auto& l : catalog.leftovers) {
        leftovers.push_back(l.string());
    }
    return json({{"result", "ok"},
                 {"catalog", catalog.root.string()},
                 {"backups", backups},
                 {"leftovers", leftovers},
                 {"pre_restore_databases", pre_restore_json(pre)}})
        .dump(2);
}

std::string verified_json(const backup::VerifyResult& result) {
    return json({{"id", result.id},
                 {"result", "ok"},
                 {"how", result.how},
                 {"problems", result.problems}})
        .dump(2);
}

std::string run_result_json(const Result& r) {
    json list = json::array();
    for (const auto& a : r.applied) {
        list.push_back({{"version", a.version}, {"name", a.name}, {"duration_ms", a.took.count()}});
    }
    return json({{"run_id", r.run_id},
                 {"target", r.target},
                 {"result", "ok"},
                 {"applied", list},
                 {"head", or_null(r.head)},
                 {"plan_already_applied", r.plan_already_applied},
                 {"held", r.held},
                 {"checks", checks_json(r.checks)},
                 {"policy_override", override_json(r.policy_overridden)}})
        .dump(2);
}

std::vector<std::string> run_result_lines(const Result& r) {
    std::string head = r.head ? core::to_string(*r.head) : "empty";
    std::vector<std::string> lines = {
        r.plan_already_applied ? "the plan is already applied; head is " + head
        : r.nothing_pending    ? "nothing to apply; head is " + head
                            : "applied " + std::to_string(r.applied.size()) + " migration(s) in " +
                                  util::format_duration(r.took) + "; head is now " + head};
    for (const auto& c : r.checks) {
        lines.push_back("check '" + c.name + "' passed in " + util::format_duration(c.took));
    }
    if (!r.held.empty()) {
        lines.push_back(held_line(r.held));
    }
    return lines;
}

std::string dry_run_json(const DryRunReport& r) {
    return json({{"result", exit_code_name(static_cast<ExitCode>(r.exit_code))},
                 {"dry_run", true},
                 {"would_proceed", r.exit_code == 0},
                 {"exit_code", r.exit_code},
                 {"reasons", r.reasons},
                 {"plan", json::parse(planner::plan_to_json(r.plan))},
                 {"preflight", {{"lock_holder", or_null(r.lock_holder)}, {"blockers", r.blockers}}},
                 {"backup",
                  {{"required", r.backup_required},
                   {"estimated_data_bytes", r.backup_estimated_bytes},
                   {"directory", r.backup_directory}}},
                 {"on_failure", core::failure_policy_name(r.on_failure)},
                 {"held", r.held},
                 {"checks", r.checks},
                 {"policy_override", override_json(r.policy_overridden)}})
        .dump(2);
}

std::vector<std::string> dry_run_lines(const DryRunReport& r) {
    std::vector<std::string> lines = {
        "", "dry run: nothing was changed",
        r.backup_required ? "  a pre-deploy backup would be taken first (about " +
                                util::human_bytes(r.backup_estimated_bytes) +
                                " of table data) into " + r.backup_directory
                          : "  no pre-deploy backup would be taken",
        std::string("  on failure: ") + core::failure_policy_name(r.on_failure)};
    if (r.policy_overridden) {
        lines.push_back("  policy " + r.policy_overridden->policy + " would be overridden (" +
                        std::to_string(r.policy_overridden->findings) +
                        " error finding(s)): " + r.policy_overridden->reason);
    }
    if (!r.checks.empty()) {
        lines.push_back("  after the last migration, checks: " + util::join(r.checks, ", "));
    }
    for (const auto& reason : r.reasons) {
        lines.push_back("  would stop: " + reason);
    }
    if (!r.held.empty()) {
        lines.push_back("  " + held_line(r.held));
    }
    lines.push_back(r.exit_code == 0
                        ? (r.pending == 0 ? "  nothing to apply"
                                          : "  the run would proceed: " +
                                                std::to_string(r.pending) + " migration(s)")
                        : "  the run would not proceed (exit " + std::to_string(r.exit_code) +
                              ", " + exit_code_name(static_cast<ExitCode>(r.exit_code)) + ")");
    return lines;
}

std::string check_report_json(const CheckReport& report) {
    ExitCode code = report.passed() ? ExitCode::ok : ExitCode::failure;
    return json({{"result", exit_code_name(code)},
                 {"exit_code", static_cast<int>(code)},
                 {"target", report.target},
                 {"checks", checks_json(report.results)},
                 {"duration_ms", report.took.count()}})
        .dump(2);
}

std::string restore_result_json(const CatalogRestoreResult& done) {
    const backup::RestoreResult& r = done.restored;
    json doc = {{"result", "ok"},
                {"backup", done.backup_id},
                {"database", r.database},
                {"previous_database", r.previous_database},
                {"safety_backup", or_null(r.safety_id)},
                {"terminated_sessions", r.terminated},
                {"extra_tables", r.extra_tables},
                {"duration_ms", r.took.count()}};
    if (!done.restore_point.empty()) {
        doc["restore_point"] = done.restore_point;
        doc["steps"] = done.steps;  // empty: safe-migrate ran the recovery itself
        doc["events_file"] = done.events_file;
        doc["events_carried"] = r.events_carried;
    }
    return doc.dump(2);
}

std::string reset_result_json(const ResetResult& result, const std::string& environment) {
    return json({{"result", "ok"},
                 {"environment", environment},
                 {"dropped_schemas", result.dropped_schemas},
                 {"migrations_applied", result.migrations_applied},
                 {"seeds_run", result.seeds_run}})
        .dump(2);
}

std::string status_summary(const executor::StatusReport& report) {
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
    return summary;
}

namespace {

json long_session_json(const std::optional<core::LongSession>& s) {
    if (!s) {
        return nullptr;
    }
    return {{"pid", s->pid},
            {"user", s->user},
            {"application", s->application},
            {"seconds", s->seconds},
            {"query", s->query}};
}

json tables_json(const std::vector<core::TableStats>& tables) {
    json out = json::array();
    for (const auto& t : tables) {
        out.push_back({{"schema", t.schema},
                       {"name", t.name},
                       {"estimated_rows", t.estimated_rows},
                       {"total_bytes", t.total_bytes},
                       {"index_bytes", t.index_bytes},
                       {"dead_tuples", t.dead_tuples},
                       {"last_vacuum", text_or_null(t.last_vacuum)},
                       {"last_analyze", text_or_null(t.last_analyze)}});
    }
    return out;
}

json health_json(const core::Health& h) {
    json standbys = json::array();
    for (const auto& s : h.standbys) {
        standbys.push_back({{"name", s.name},
                            {"state", s.state},
                            {"replay_lag_seconds", or_null(s.replay_lag_seconds)},
                            {"replay_lag_bytes", or_null(s.replay_lag_bytes)}});
    }
    json sequences = json::array();
    for (const auto& s : h.sequences_near_limit) {
        sequences.push_back({{"name", s.name},
                             {"last_value", s.last_value},
                             {"limit", s.max_value},
                             {"percent", s.percent}});
    }
    return {{"server_version", h.server_version},
            {"database_bytes", h.database_bytes},
            {"connections", h.connections},
            {"max_connections", h.max_connections},
            {"longest_running", long_session_json(h.longest_running)},
            {"longest_idle_in_transaction", long_session_json(h.longest_idle_in_transaction)},
            {"standbys", standbys},
            {"invalid_indexes", h.invalid_indexes},
            {"unvalidated_constraints", h.unvalidated_constraints},
            {"sequences_near_limit", sequences}};
}

}  // namespace

std::string status_json(const TargetStatus& status) {
    const executor::StatusReport& report = status.report;
    json migrations = json::array();
    for (const auto& e : report.entries) {
        migrations.push_back({{"version", e.version},
                              {"name", e.name},
                              {"state", executor::state_name(e.state)},
                              {"applied_at", text_or_null(e.applied_at)},
                              {"recorded_checksum", text_or_null(e.recorded_checksum)},
                              {"file_checksum", text_or_null(e.file_checksum)},
                              {"detail", e.detail}});
    }
    ExitCode code = report.exit_code();
    json doc({{"target", status.target},
              {"head", or_null(report.head)},
              {"summary",
               {{"applied", report.applied},
                {"pending", report.pending},
                {"out_of_order", report.out_of_order},
                {"changed", report.changed},
                {"missing", report.missing},
                {"partial", report.partial}}},
              {"result", exit_code_name(code)},
              {"exit_code", static_cast<int>(code)},
              {"migrations", migrations}});
    if (status.tables) {
        doc["tables"] = tables_json(*status.tables);
    }
    if (status.health) {
        doc["health"] = health_json(*status.health);
    }
    return doc.dump(2);
}

std::string seed_run_json(const seed::SeedRunSummary& summary) {
    return json({{"result", "ok"},
                 {"action", "run"},
                 {"environment", summary.environment},
                 {"scale", summary.scale},
                 {"count", summary.seeds},
                 {"rows", summary.rows},
                 {"total_rows", summary.total_rows()},
                 {"duration_ms", summary.took.count()}})
        .dump(2);
}

std::string seed_status_json(const SeedStatus& status,
                             const std::optional<std::string>& environment) {
    const seed::SeedReport& report = status.report;
    json seeds = json::array();
    for (const auto& e : report.entries) {
        seeds.push_back(seed_json(e));
    }
    ExitCode code = report.exit_code();
    return json({{"target", status.target},
                 {"environment", or_null(environment)},
                 {"summary",
                  {{"applied", report.count(seed::SeedState::applied)},
                   {"pending", report.count(seed::SeedState::pending)},
                   {"rerun", report.count(seed::SeedState::rerun)},
                   {"changed", report.count(seed::SeedState::changed)},
                   {"missing", report.count(seed::SeedState::missing)}}},
                 {"result", exit_code_name(code)},
                 {"exit_code", static_cast<int>(code)},
                 {"seeds", seeds}})
        .dump(2);
}

namespace {

json adopted_ids(const std::vector<const core::Migration*>& migrations) {
    json out = json::array();
    for (const auto* m : migrations) {
        out.push_back({{"version", m->version}, {"name", m->name}, {"checksum", m->up.checksum}});
    }
    return out;
}

}  // namespace

std::string adopt_json(const AdoptResult& result, const std::string& tool, bool dry_run) {
    return json({{"result", "ok"},
                 {"tool", tool},
                 {"table", result.table},
                 {"dry_run", dry_run},
                 {"recorded", adopted_ids(result.choice.record)},
                 {"already_recorded", adopted_ids(result.choice.already)},
                 {"pending", adopted_ids(result.choice.pending)}})
        .dump(2);
}

}  // namespace sm::deploy
