#include "planner/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "core/checksum.hpp"
#include "core/duration.hpp"
#include "core/identity.hpp"
#include "core/version_json.hpp"
#include "planner/lint_output.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/plan_findings.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::planner {
namespace {

using nlohmann::json;

json settings_json(const core::ExecuteSettings& s) {
    return {{"lock_timeout_ms", s.lock_timeout.count()},
            {"statement_timeout_ms", s.statement_timeout.count()},
            {"lock_retries", s.lock_retries},
            {"retry_base_delay_ms", s.retry_base_delay.count()},
            {"retry_max_delay_ms", s.retry_max_delay.count()},
            {"lock_wait_ms", s.lock_wait.count()}};
}

// Lays the settings a plan records (settings_json) over s.
void read_settings(const json& j, core::ExecuteSettings& s) {
    s.lock_timeout = std::chrono::milliseconds(j.at("lock_timeout_ms").get<int64_t>());
    s.statement_timeout = std::chrono::milliseconds(j.at("statement_timeout_ms").get<int64_t>());
    s.lock_retries = j.at("lock_retries").get<int>();
    s.retry_base_delay = std::chrono::milliseconds(j.at("retry_base_delay_ms").get<int64_t>());
    s.retry_max_delay = std::chrono::milliseconds(j.at("retry_max_delay_ms").get<int64_t>());
    s.lock_wait = std::chrono::milliseconds(j.at("lock_wait_ms").get<int64_t>());
}

json target_json(const core::TargetIdentity& t) {
    return {{"host", t.host},
            {"port", t.port},
            {"database", t.database},
            {"system_identifier", t.system_identifier},
            {"server_version", t.server_version}};
}

std::string table_cost(const Plan& plan, const std::string& table) {
    auto it = plan.tables.find(table);
    if (it == plan.tables.end() || !it->second.exists) {
        return table + " (new)";
    }
    return fmt::format("{} (~{} rows, {})", table, it->second.rows,
                       util::human_bytes(it->second.bytes));
}

}  // namespace

Plan build_plan(const PlanInput& input) {
    Plan plan;
    plan.target = input.target;
    plan.head = input.head;
    plan.settings = input.settings;
    plan.policy = input.policy;
    if (input.target.server_version > 0) {
        plan.policy.pg_version = input.target.server_version;
    }
    plan.created_at = util::format_utc(std::chrono::system_clock::now());
    plan.created_by = core::actor();

    std::vector<FileReport> reports;
    RunFacts run;  // what the migrations before the one being linted established
    for (const core::Migration* m : input.pending) {
        const core::Script& script = input.scripts->at(m->version);
        PlannedMigration pm;
        pm.version = m->version;
        pm.name = m->name;
        pm.file = m->up.path;
        pm.checksum = m->up.checksum;
        pm.transactional = script.transactional;
        pm.required = m->up.directives.required;
        pm.lock_timeout = script.lock_timeout.value_or(input.settings.lock_timeout);
        pm.statement_timeout = script.statement_timeout.value_or(input.settings.statement_timeout);
        reports.push_back(lint_file(
            LintInput(m->up), plan.policy,
            [&pm](const StatementInfo& info) {
                pm.statements.push_back(
                    {info.line, info.kind, first_line(info.sql, 80), info.lock});
            },
            std::move(run)));
        run = std::move(reports.back().facts);
        plan.migrations.push_back(std::move(pm));
        if (input.broken_down != nullptr && m->down) {
            if (auto it = input.broken_down->find(m->version); it != input.broken_down->end()) {
                reports.push_back(broken_down_report(*m, it->second, plan.policy));
            }
        }
    }
    report_created_twice(reports, plan.policy);
    plan.lint = summarize(std::move(reports));
    plan.drift = input.drift;
    decide(plan);
    return plan;
}

void attach_trace(Plan& plan, const std::vector<core::TracedStatement>& traced) {
    std::vector<TraceEntry> entries;
    for (const auto& t : traced) {
        TraceEntry e;
        e.version = t.version;
        e.line = t.line;
        e.observed = t.observed;
        e.rewritten = t.rewritten;
        e.error = t.error;
        for (const auto& m : plan.migrations) {
            for (const auto& s : m.statements) {
                if (m.version == t.version && s.line == t.line) {
                    e.text = s.text;
                    e.predicted = std::max(e.predicted, s.lock.level);
                    e.predicted_rewrite = e.predicted_rewrite || s.lock.rewrites;
                }
            }
        }
        for (const auto& [name, mode] : t.locks) {
            LockLevel level = lock_from_mode(mode);
            e.locks[name] = level;
            e.observed_level = std::max(e.observed_level, level);
        }
        e.stronger = e.observed && (e.observed_level > e.predicted ||
                                    (!e.rewritten.empty() && !e.predicted_rewrite));
        if (e.error) {
            plan.blocked_because.push_back(
                fmt::format("trace: migration {} line {} failed on a copy of the schema: {}",
                            e.version.text(), e.line, *e.error));
        }
        entries.push_back(std::move(e));
    }
    plan.trace = std::move(entries);
}

std::vector<std::string> touched_tables(const Plan& plan) {
    std::vector<std::string> tables;
    for (const auto& m : plan.migrations) {
        for (const auto& s : m.statements) {
            for (const auto& t : s.lock.tables()) {
                if (std::find(tables.begin(), tables.end(), t) == tables.end()) {
                    tables.push_back(t);
                }
            }
        }
    }
    return tables;
}

std::string plan_to_json(const Plan& plan) {
    json migrations = json::array();
    for (const auto& m : plan.migrations) {
        json statements = json::array();
        for (const auto& s : m.statements) {
            statements.push_back({{"line", s.line},
                                  {"kind", s.kind},
                                  {"text", s.text},
                                  {"lock", lock_name(s.lock.level)},
                                  {"tables", s.lock.tables()},
                                  {"rewrites", s.lock.rewrites},
                                  {"scans", s.lock.scans}});
        }
        migrations.push_back({{"version", m.version},
                              {"name", m.name},
                              {"file", m.file.filename().string()},
                              {"checksum", m.checksum},
                              {"checksum_algorithm", core::k_checksum_algorithm},
                              {"transactional", m.transactional},
                              {"lock_timeout_ms", m.lock_timeout.count()},
                              {"statement_timeout_ms", m.statement_timeout.count()},
                              {"requires", m.required},
                              {"statements", statements}});
    }
    json tables = json::array();
    for (const auto& [name, size] : plan.tables) {
        tables.push_back(
            {{"name", name}, {"exists", size.exists}, {"rows", size.rows}, {"bytes", size.bytes}});
    }
    json lint = json::parse(render_lint(plan.lint, LintFormat::json, plan.policy));
    json trace = nullptr;
    if (plan.trace) {
        trace = json::array();
        for (const auto& e : *plan.trace) {
            json locks = json::object();
            for (const auto& [name, level] : e.locks) {
                locks[name] = lock_name(level);
            }
            trace.push_back(
                {{"version", e.version},
                 {"line", e.line},
                 {"predicted_lock", lock_name(e.predicted)},
                 {"predicted_rewrite", e.predicted_rewrite},
                 {"observed", e.observed},
                 {"observed_lock", e.observed ? json(lock_name(e.observed_level)) : json(nullptr)},
                 {"locks", locks},
                 {"rewritten", e.rewritten},
                 {"stronger_than_predicted", e.stronger},
                 {"error", e.error ? json(*e.error) : json(nullptr)}});
        }
    }
    json policy = {{"name", plan.policy.name},
                   {"pg_version", plan.policy.pg_version / 10000},
                   {"sha256", policy_hash(plan.policy)}};
    json body = {{"format", k_plan_format},
                 {"created_at", plan.created_at},
                 {"created_by", plan.created_by},
                 {"tool_version", core::tool_version()},
                 {"target", target_json(plan.target)},
                 {"head", plan.head ? json(*plan.head) : json(nullptr)},
                 {"migrations", migrations},
                 {"settings", settings_json(plan.settings)},
                 {"policy", policy},
                 {"findings", lint["findings"]},
                 {"suppressions", lint["suppressions"]},
                 {"tables", tables},
                 {"trace", trace},
                 {"verdict", plan.allowed() ? "allowed" : "blocked"},
                 {"result", exit_code_name(plan.allowed() ? ExitCode::ok : ExitCode::policy)},
                 {"blocked_because", plan.blocked_because}};
    body["hash"] = core::sha256_hex(body.dump());
    return body.dump(2) + "\n";
}

std::string render_plan_text(const Plan& plan) {
    std::string out;
    out += fmt::format("target: {}:{}/{} (system {}, PostgreSQL {}.{})\n", plan.target.host,
                       plan.target.port, plan.target.database, plan.target.system_identifier,
                       plan.target.server_version / 10000, plan.target.server_version % 10000);
    out +=
        "head:   " + (plan.head ? core::to_string(*plan.head) : std::string("(nothing applied)")) +
        "\n";
    out +=
        fmt::format("policy: {}; lock_timeout {}, {} retries\n\n", plan.policy.name,
                    util::format_duration(plan.settings.lock_timeout), plan.settings.lock_retries);
    if (plan.migrations.empty()) {
        out += "nothing pending\n";
    }
    for (const auto& m : plan.migrations) {
        out += fmt::format(
            "{}_{}  [{}; lock_timeout {}, statement_timeout {}]\n", m.version.text(), m.name,
            m.transactional ? "one transaction" : "no transaction, statement by statement",
            util::format_duration(m.lock_timeout), util::format_duration(m.statement_timeout));
        if (!m.required.empty()) {
            out += "  requires " + util::join(m.required, ", ") + "\n";
        }
        for (const auto& s : m.statements) {
            std::string tables;
            for (const auto& t : s.lock.tables()) {
                tables += (tables.empty() ? "" : ", ") + table_cost(plan, t);
            }
            std::string work = s.lock.rewrites ? " REWRITE" : (s.lock.scans ? " SCAN" : "");
            out += fmt::format("  line {:<4} {:<4} {}{}\n", s.line, lock_short(s.lock.level),
                               s.text, work);
            if (!tables.empty()) {
                out += "            on " + tables + "\n";
            }
        }
        out += "\n";
    }
    if (plan.trace) {
        out +=
            "trace (applied to a copy of the target's schema; locks on pre-existing relations):\n";
        for (const auto& e : *plan.trace) {
            std::string observed;
            if (e.error) {
                observed = "FAILED: " + *e.error;
            } else if (!e.observed) {
                observed = "not observable (runs outside a transaction)";
            } else {
                observed = std::string("observed ") + lock_short(e.observed_level);
                for (const auto& [name, level] : e.locks) {
                    observed += fmt::format(" {}={}", name, lock_short(level));
                }
                observed += e.rewritten.empty() ? "; no rewrite"
                                                : "; REWROTE " + util::join(e.rewritten, ", ");
            }
            out += fmt::format("  {} line {:<4} predicted {}{}  {}{}\n", e.version.text(), e.line,
                               lock_short(e.predicted), e.predicted_rewrite ? " + rewrite" : "",
                               observed, e.stronger ? "  << STRONGER THAN PREDICTED" : "");
        }
        out += "\n";
    }
    std::string findings = render_lint(plan.lint, LintFormat::text, plan.policy);
    out += findings;
    out += "\n";
    if (plan.allowed()) {
        out += "verdict: allowed\n";
    } else {
        out += "verdict: BLOCKED\n";
        for (const auto& why : plan.blocked_because) {
            out += "  - " + why + "\n";
        }
    }
    return out;
}

namespace {

// The artifact's body (all but its hash) once text is a plan whose hash matches.
json verified_body(const std::string& text, const std::string& file) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(ExitCode::invalid_input, file + " is not a plan: " + e.what());
    }
    if (!j.is_object() || j.value("format", "") != k_plan_format || !j.contains("hash")) {
        throw Error(ExitCode::invalid_input,
                    file + " is not a safe-migrate plan (format " + k_plan_format + ")");
    }
    std::string recorded_hash = j["hash"].get<std::string>();
    json body = j;
    body.erase("hash");
    if (core::sha256_hex(body.dump()) != recorded_hash) {
        throw Error(
            ExitCode::invalid_input,
            file + " was modified after it was written (its hash does not match)",
            "Make a new plan and have it reviewed again: safe-migrate plan --out " + file + ".");
    }
    return body;
}

// Differences in the target server and database, and in the head version.
void target_changes(const json& body, const PlanCheck& now, std::vector<std::string>& changes) {
    const json& t = body.at("target");
    if (t.value("system_identifier", "") != now.target.system_identifier) {
        changes.push_back("target: planned for system " + t.value("system_identifier", "") +
                          ", this is system " + now.target.system_identifier);
    }
    if (t.value("database", "") != now.target.database) {
        changes.push_back("target: planned for database " + t.value("database", "") + ", this is " +
                          now.target.database);
    }
    if (t.value("server_version", 0) / 10000 != now.target.server_version / 10000) {
        changes.push_back(fmt::format("target: planned for PostgreSQL {}, this is {}",
                                      t.value("server_version", 0) / 10000,
                                      now.target.server_version / 10000));
    }
    std::optional<core::Version> planned_head;
    if (!body.at("head").is_null()) {
        planned_head = body.at("head").get<core::Version>();
    }
    if (planned_head != now.head) {
        auto show = [](const std::optional<core::Version>& h) {
            return h ? h->text() : std::string("empty");
        };
        changes.push_back("head: planned at " + show(planned_head) + ", the database is now at " +
                          show(now.head));
    }
}

// The target is the planned one and stands exactly where the plan ends.
bool at_plan_end(const json& body, const PlanArtifact& artifact, const PlanCheck& now) {
    const json& t = body.at("target");
    if (artifact.migrations.empty() ||
        t.value("system_identifier", "") != now.target.system_identifier ||
        t.value("database", "") != now.target.database ||
        now.head != artifact.migrations.back().version) {
        return false;
    }
    return std::all_of(artifact.migrations.begin(), artifact.migrations.end(), [&](const auto& am) {
        auto it = now.applied.find(am.version);
        return it != now.applied.end() && it->second == am.checksum;
    });
}

// Planned migrations that are no longer pending or whose file changed, and
// pending migrations the plan skipped.
void migration_changes(const PlanArtifact& artifact, const PlanCheck& now,
                       std::vector<std::string>& changes) {
    std::map<core::Version, const core::Migration*> pending;
    for (const auto* m : now.pending) {
        pending[m->version] = m;
    }
    for (const auto& am : artifact.migrations) {
        auto it = pending.find(am.version);
        if (it == pending.end()) {
            changes.push_back(fmt::format(
                "migration {}_{}: in the plan, but no longer pending (or its file is gone)",
                am.version.text(), am.name));
        } else if (it->second->up.checksum != am.checksum) {
            changes.push_back(
                fmt::format("migration {}_{}: file changed since the plan (planned {}, now {})",
                            am.version.text(), am.name, am.checksum.substr(0, 12),
                            it->second->up.checksum.substr(0, 12)));
        }
    }
    std::optional<core::Version> last_planned;
    if (!artifact.migrations.empty()) {
        last_planned = artifact.migrations.back().version;
    }
    for (const auto* m : now.pending) {
        bool planned = std::any_of(artifact.migrations.begin(), artifact.migrations.end(),
                                   [&](const auto& am) { return am.version == m->version; });
        if (!planned && last_planned && m->version < *last_planned) {
            changes.push_back(
                fmt::format("migration {}: pending now, but not in the plan", m->id()));
        }
    }
}

void settings_changes(const core::ExecuteSettings& planned, const core::ExecuteSettings& current,
                      std::vector<std::string>& changes) {
    auto setting = [&](const char* name, auto planned_value, auto current_value) {
        if (planned_value != current_value) {
            changes.push_back(
                fmt::format("setting {}: planned {}, now {}", name, planned_value, current_value));
        }
    };
    setting("lock_timeout_ms", planned.lock_timeout.count(), current.lock_timeout.count());
    setting("statement_timeout_ms", planned.statement_timeout.count(),
            current.statement_timeout.count());
    setting("lock_retries", planned.lock_retries, current.lock_retries);
}

// A plan made under another policy, or whose policy was edited since: the
// verdict it records is not the one the policy gives now.
void policy_changes(const json& body, const PlanCheck& now, const std::string& file,
                    std::vector<std::string>& changes) {
    const json& planned = body.at("policy");
    if (!planned.is_object() || !planned.contains("sha256")) {
        changes.push_back(
            "policy: the plan does not record which policy it was made under (made by an older "
            "safe-migrate); re-run safe-migrate plan --out " +
            file);
        return;
    }
    // The effective policy, as build_plan makes it: the target's version.
    Policy current = now.policy;
    if (now.target.server_version > 0) {
        current.pg_version = now.target.server_version;
    }
    std::string planned_name = planned.value("name", "");
    std::string planned_hash = planned.value("sha256", "");
    std::string current_hash = policy_hash(current);
    if (planned_name != current.name || planned_hash != current_hash) {
        changes.push_back(fmt::format("policy: planned under {} (sha256 {}), now {} (sha256 {})",
                                      planned_name, planned_hash.substr(0, 12), current.name,
                                      current_hash.substr(0, 12)));
    }
}

}  // namespace

PlanArtifact check_plan_artifact(const std::string& text, const std::string& file,
                                 const PlanCheck& now) {
    const json body = verified_body(text, file);
    PlanArtifact artifact;
    artifact.allowed = body.value("verdict", "") == "allowed";
    artifact.settings = now.settings;
    read_settings(body.at("settings"), artifact.settings);
    for (const auto& m : body.at("migrations")) {
        artifact.migrations.push_back({m.at("version").get<core::Version>(),
                                       m.at("name").get<std::string>(),
                                       m.at("checksum").get<std::string>()});
    }
    if (!artifact.allowed) {
        throw Error(ExitCode::policy,
                    "the plan in " + file + " was blocked by policy; it cannot be executed",
                    "Fix the findings, or suppress them with a reason, and plan again.");
    }
    if (at_plan_end(body, artifact, now)) {
        artifact.already_applied = true;
        return artifact;
    }

    std::vector<std::string> changes;
    target_changes(body, now, changes);
    migration_changes(artifact, now, changes);
    settings_changes(artifact.settings, now.settings, changes);
    policy_changes(body, now, file, changes);
    if (!changes.empty()) {
        std::string message = "the database or the files changed since the plan in " + file + ":";
        for (const auto& c : changes) {
            message += "\n  " + c;
        }
        throw Error(ExitCode::drift, message,
                    "Nothing was applied. Make a new plan and have it reviewed.");
    }
    return artifact;
}

}  // namespace sm::planner
