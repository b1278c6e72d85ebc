#include "deploy/steps.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "db/target_info.hpp"
#include "planner/plan.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

using executor::MigrationState;

std::string id_of(const executor::StatusEntry& e) {
    return core::to_string(e.version) + "_" + e.name;
}

// Refuses an up_to that names no migration (in the files or the history),
// naming the versions nearest to it.
void check_up_to(const executor::StatusReport& report, const core::Version& up_to) {
    const executor::StatusEntry* below = nullptr;
    const executor::StatusEntry* above = nullptr;
    for (const auto& e : report.entries) {
        if (e.version == up_to) {
            return;
        }
        if (e.version < up_to) {
            below = &e;
        } else if (above == nullptr) {
            above = &e;
        }
    }
    std::vector<std::string> nearest;
    for (const auto* e : {below, above}) {
        if (e != nullptr) {
            nearest.push_back(id_of(*e));
        }
    }
    throw Error(ExitCode::invalid_input,
                "--target " + core::to_string(up_to) + ": no migration has this version" +
                    (nearest.empty() ? std::string(" (there are no migrations)")
                                     : "; the nearest: " + util::join(nearest, ", ")),
                "Run 'safe-migrate status' to list the versions.");
}

// The versions the history holds as applied (changed files included).
std::vector<core::Version> applied_versions(const executor::StatusReport& report) {
    std::vector<core::Version> out;
    for (const auto& e : report.entries) {
        if (e.state == MigrationState::applied || e.state == MigrationState::changed) {
            out.push_back(e.version);
        }
    }
    return out;
}

// Under out_of_order = "by-dependency": why the out-of-order migration version
// may not run now (a requirement not met before it, or an applied migration
// requiring it), or "" when it may.
std::string by_dependency_refusal(const planner::Project& project,
                                  const std::vector<core::Version>& applied,
                                  const std::vector<Step>& before, const core::Version& version) {
    std::vector<core::Version> done = applied;
    for (const auto& step : before) {
        done.push_back(step.migration->version);
    }
    auto unmet =
        planner::unmet_requirements(project.migrations, project.dependencies, done, {version});
    if (!unmet.empty()) {
        return unmet.front();
    }
    for (const auto& r : project.dependencies.requirers_of(version)) {
        if (std::find(applied.begin(), applied.end(), r) != applied.end()) {
            return "applied migration " + project.migrations.find(r)->id() + " requires it";
        }
    }
    return "";
}

}  // namespace

void check_drift(executor::RunContext& ctx, const executor::StatusReport& report,
                 const std::vector<core::Version>& accepted, bool record) {
    std::vector<std::string> problems;
    for (const auto& e : report.entries) {
        if (e.state == MigrationState::changed) {
            bool accept = std::find(accepted.begin(), accepted.end(), e.version) != accepted.end();
            if (accept && !record) {
                core::log_warn("would accept the changed file of " + id_of(e));
                continue;
            }
            if (accept) {
                db::accept_checksum(ctx.control, e.version, e.file_checksum);
                db::record_event(ctx.control,
                                 {ctx.run_id, "checksum.accepted", e.version,
                                  "accepted changed file: recorded " + e.recorded_checksum +
                                      ", file " + e.file_checksum});
                core::log_warn("accepted the changed file of " + id_of(e));
                continue;
            }
            problems.push_back(id_of(e) + ": file changed after it was applied" +
                               "\n      recorded " + e.recorded_checksum + "\n      file     " +
                               e.file_checksum);
        } else if (e.state == MigrationState::missing) {
            problems.push_back(id_of(e) + ": applied, but its file is gone");
        }
    }
    if (!problems.empty()) {
        std::string message = "applied migrations differ from their files:";
        for (const auto& p : problems) {
            message += "\n  " + p;
        }
        throw Error(ExitCode::drift, message,
                    "Restore the original files, or accept a deliberate change with "
                    "--accept-changed VERSION "
                    "(recorded as an event). See runbooks/checksum-drift.md.");
    }
}

std::vector<Step> choose_steps(const planner::Project& project,
                               const executor::StatusReport& report,
                               const std::vector<db::PartialMigration>& partial,
                               const core::ExecuteSettings& settings,
                               std::optional<core::Version> up_to) {
    if (up_to) {
        check_up_to(report, *up_to);
    }
    std::vector<Step> steps;
    std::vector<std::string> out_of_order;
    const auto applied = applied_versions(report);
    for (const auto& e : report.entries) {
        if (up_to && e.version > *up_to) {
            continue;
        }
        if (e.state == MigrationState::out_of_order && !settings.allow_out_of_order) {
            std::string refusal = settings.out_of_order_by_dependency
                                      ? by_dependency_refusal(project, applied, steps, e.version)
                                      : "";
            if (!settings.out_of_order_by_dependency || !refusal.empty()) {
                out_of_order.push_back(id_of(e) + (refusal.empty() ? "" : " (" + refusal + ")"));
            }
        }
        if (executor::to_apply(e.state)) {
            Step step{project.migrations.find(e.version), std::nullopt};
            for (const auto& p : partial) {
                if (p.version == e.version) {
                    step.resume = p;
                }
            }
            steps.push_back(step);
        }
    }
    if (!out_of_order.empty()) {
        std::string list;
        for (const auto& id : out_of_order) {
            list += "\n  " + id;
        }
        throw Error(
            ExitCode::drift,
            "pending migrations are older than the newest applied version " +
                core::to_string(report.head.value_or(0)) + ":" + list,
            "A branch merged older migrations. Renumber them, or apply them deliberately with "
            "--allow-out-of-order.");
    }
    return steps;
}

void check_requirements(const planner::Project& project, const executor::StatusReport& report,
                        const std::vector<Step>& steps) {
    std::vector<core::Version> order;
    order.reserve(steps.size());
    for (const auto& step : steps) {
        order.push_back(step.migration->version);
    }
    auto unmet = planner::unmet_requirements(project.migrations, project.dependencies,
                                             applied_versions(report), order);
    if (unmet.empty()) {
        return;
    }
    std::string message = "migrations whose requirements this run does not meet:";
    for (const auto& u : unmet) {
        message += "\n  " + u;
    }
    throw Error(ExitCode::invalid_input, message,
                "Nothing was applied. Apply the required migrations first, or fix the "
                "requires= directives.");
}

bool hold_to_plan(const std::filesystem::path& file, db::Session& session,
                  const executor::StatusReport& report, const planner::Policy& lint_policy,
                  std::vector<Step>& steps, core::ExecuteSettings& settings) {
    planner::PlanCheck now;
    now.target = db::read_identity(session);
    now.head = report.head;
    now.settings = settings;
    now.policy = lint_policy;
    for (const auto& step : steps) {
        now.pending.push_back(step.migration);
    }
    for (const auto& e : report.entries) {
        if (e.state == MigrationState::applied || e.state == MigrationState::changed) {
            now.applied[e.version] = e.recorded_checksum;
        }
    }
    auto artifact = planner::check_plan_artifact(util::read_file(file), file.string(), now);
    if (artifact.already_applied) {
        steps.clear();  // the run's result says so (Result::plan_already_applied)
        return false;
    }
    std::vector<Step> planned;
    for (const auto& step : steps) {
        for (const auto& m : artifact.migrations) {
            if (m.version == step.migration->version) {
                planned.push_back(step);
            }
        }
    }
    steps = planned;
    // The plan fixes what it records (timeouts, retries, the lock wait); the
    // run's safety policy stays.
    settings = artifact.settings;
    core::log_info("holding the run to the plan in " + file.string() + " (" +
                   std::to_string(steps.size()) + " migration(s))");
    return true;
}

std::vector<std::string> tables_of(const planner::Project& project,
                                   const std::vector<Step>& steps) {
    std::vector<std::string> out;
    for (const auto& step : steps) {
        for (const auto& t : project.up.at(step.migration->version).tables()) {
            if (std::find(out.begin(), out.end(), t) == out.end()) {
                out.push_back(t);
            }
        }
    }
    return out;
}

void check_time_left(const core::ExecuteSettings& settings, std::chrono::milliseconds used,
                     const core::Migration& next) {
    const auto& limit = settings.max_duration;
    if (limit && used > *limit) {
        throw Error(ExitCode::failure, "the run exceeded its time limit (max_duration " +
                                           util::format_duration(*limit) + ") after " +
                                           util::format_duration(used) + ", before applying " +
                                           next.id());
    }
}

std::vector<std::string> step_watched_tables(const planner::Project& project, const Step& step,
                                             const std::vector<std::string>& watched) {
    std::vector<std::string> tables = project.up.at(step.migration->version).tables();
    std::erase_if(tables,
                  [&](const auto& t) { return !std::count(watched.begin(), watched.end(), t); });
    return tables;
}

std::optional<executor::NextMigration> next_to_send(const executor::RunContext& ctx,
                                                    const planner::Project& project,
                                                    const std::vector<Step>& steps, size_t i,
                                                    const std::vector<std::string>& watched) {
    if (i + 1 >= steps.size() || ctx.settings.max_replica_lag) {
        return std::nullopt;
    }
    const Step& next = steps[i + 1];
    for (const Step* s : {&steps[i], &next}) {
        if (!executor::can_send_ahead(ctx, project.up.at(s->migration->version),
                                      s->resume.has_value())) {
            return std::nullopt;
        }
    }
    auto is_watched = [&](const std::string& t) {
        return std::find(watched.begin(), watched.end(), t) != watched.end();
    };
    std::vector<std::string> tables = project.up.at(next.migration->version).tables();
    if (next.migration->up.directives.phase == core::Phase::contract ||
        std::any_of(tables.begin(), tables.end(), is_watched)) {
        return std::nullopt;
    }
    return executor::NextMigration{next.migration, &project.up.at(next.migration->version)};
}

}  // namespace sm::deploy
