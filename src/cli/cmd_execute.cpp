// safe-migrate execute: apply pending migrations, one safe step at a time.
#include <nlohmann/json.hpp>

#include "cli/backup_gate.hpp"
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "executor/advisory_lock.hpp"
#include "executor/apply.hpp"
#include "executor/history.hpp"
#include "executor/status.hpp"
#include "executor/target_info.hpp"
#include "notify/notifier.hpp"
#include "planner/plan.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

using executor::MigrationState;

struct Step {
    const core::Migration* migration = nullptr;
    std::optional<executor::PartialMigration> resume;
};

void apply_flag_overrides(core::ExecuteSettings& s, const ExecuteArgs& args) {
    s.lock_wait = duration_flag(args.lock_wait, "--lock-wait", s.lock_wait);
    s.lock_timeout = duration_flag(args.lock_timeout, "--lock-timeout", s.lock_timeout);
    if (args.lock_retries) {
        s.lock_retries = *args.lock_retries;
    }
    s.allow_out_of_order = s.allow_out_of_order || args.allow_out_of_order;
}

// Changed and missing applied migrations stop the run, unless a change was
// accepted with --accept-changed, which updates the recorded checksum and is
// recorded as an event.
void check_drift(executor::RunContext& ctx, const executor::StatusReport& report,
                 const ExecuteArgs& args) {
    std::vector<std::string> problems;
    for (const auto& e : report.entries) {
        if (e.state == MigrationState::changed) {
            bool accepted = std::find(args.accept_changed.begin(), args.accept_changed.end(),
                                      e.version) != args.accept_changed.end();
            if (accepted) {
                ctx.control.exec_params(
                    "UPDATE safe_migrate.history SET checksum = $2 WHERE version = $1",
                    {std::to_string(e.version), e.file_checksum});
                executor::record_event(ctx.control,
                                       {ctx.run_id, "checksum.accepted", e.version,
                                        "accepted changed file: recorded " + e.recorded_checksum +
                                            ", file " + e.file_checksum});
                core::log_warn("accepted the changed file of " + std::to_string(e.version) + "_" +
                               e.name);
                continue;
            }
            problems.push_back(std::to_string(e.version) + "_" + e.name +
                               ": file changed after it was applied" + "\n      recorded " +
                               e.recorded_checksum + "\n      file     " + e.file_checksum);
        } else if (e.state == MigrationState::missing) {
            problems.push_back(std::to_string(e.version) + "_" + e.name +
                               ": applied, but its file is gone");
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

// The migrations to apply, in version order, up to --target.
std::vector<Step> plan_steps(const Project& project, const executor::StatusReport& report,
                             const std::vector<executor::PartialMigration>& partial,
                             const core::ExecuteSettings& settings, const ExecuteArgs& args) {
    std::vector<Step> steps;
    std::vector<std::string> out_of_order;
    for (const auto& e : report.entries) {
        if (args.target && e.version > *args.target) {
            continue;
        }
        if (e.state == MigrationState::out_of_order) {
            out_of_order.push_back(std::to_string(e.version) + "_" + e.name);
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
    if (!out_of_order.empty() && !settings.allow_out_of_order) {
        std::string list;
        for (const auto& id : out_of_order) {
            list += "\n  " + id;
        }
        throw Error(
            ExitCode::drift,
            "pending migrations are older than the newest applied version " +
                std::to_string(report.head.value_or(0)) + ":" + list,
            "A branch merged older migrations. Renumber them, or apply them deliberately with "
            "--allow-out-of-order.");
    }
    return steps;
}

void print_json_result(
    const std::string& run_id, const std::string& target,
    const std::vector<std::pair<const core::Migration*, std::chrono::milliseconds>>& applied,
    std::optional<int64_t> head) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [m, took] : applied) {
        list.push_back({{"version", m->version}, {"name", m->name}, {"duration_ms", took.count()}});
    }
    nlohmann::json out = {{"run_id", run_id},
                          {"target", target},
                          {"result", "ok"},
                          {"applied", list},
                          {"head", head ? nlohmann::json(*head) : nlohmann::json(nullptr)}};
    std::printf("%s\n", out.dump(2).c_str());
}

// Checks the reviewed plan against the target and the files (throws on any
// difference) and keeps only the planned migrations.
void hold_to_plan(const std::filesystem::path& file, executor::Session& session,
                  const executor::StatusReport& report, std::vector<Step>& steps,
                  core::ExecuteSettings& settings) {
    planner::PlanCheck now;
    now.target = executor::read_identity(session);
    now.head = report.head;
    now.settings = settings;
    for (const auto& step : steps) {
        now.pending.push_back(step.migration);
    }
    auto artifact = planner::check_plan_artifact(util::read_file(file), file.string(), now);
    std::vector<Step> planned;
    for (const auto& step : steps) {
        for (const auto& m : artifact.migrations) {
            if (m.version == step.migration->version) {
                planned.push_back(step);
            }
        }
    }
    steps = planned;
    settings = artifact.settings;
    core::log_info("holding the run to the plan in " + file.string() + " (" +
                   std::to_string(steps.size()) + " migration(s))");
}

}  // namespace

int run_execute(const GlobalOptions& options, const ExecuteArgs& args) {
    util::InterruptGuard interrupts;
    if (args.plan && args.target) {
        throw Error(ExitCode::usage,
                    "--plan and --target cannot be combined: the plan says what to apply");
    }

    // 1. Load the config and every migration script; invalid sources stop here,
    //    before anything connects.
    Project project = load_project(options);
    core::ExecuteSettings settings = project.config.execute;
    apply_flag_overrides(settings, args);

    // 2. Connect twice: a control session that holds the lock and writes events,
    //    and a session that runs the migrations.
    core::Target target = resolve_target(options, project.config);
    auto control = connect_target(target, project.config, "lock");
    auto migration = connect_target(target, project.config);
    executor::prepare_migration_session(*migration);
    executor::RunContext ctx{*migration, *control, core::new_run_id(), core::actor(), settings};
    bool text = options.format == Format::text;
    if (text) {
        say(options, "target: " + control->display_name() + " (from " +
                         core::target_source_name(target.source) + ")");
    }

    // 3. Refuse a standby.
    executor::refuse_standby(*control);

    // 4. Take the migration lock; another runner makes us wait, then fail naming it.
    executor::AdvisoryLock lock(*control, settings.lock_wait);

    // 5. Create the history schema on first use, and read where the target stands.
    executor::ensure_history_schema(*control);
    auto partial = executor::read_partial(*control);
    auto report =
        executor::compute_status(project.migrations, executor::read_applied(*control), partial);

    // 6. Refuse drift (changed or missing files, out-of-order pending) unless accepted;
    //    with --plan, refuse anything that differs from the reviewed plan.
    check_drift(ctx, report, args);
    std::vector<Step> steps = plan_steps(project, report, partial, settings, args);
    if (args.plan) {
        hold_to_plan(*args.plan, *control, report, steps, settings);
        ctx.settings = settings;
    }

    // 7. The backup gate: a verified pre-deploy backup before the first migration
    //    (protected environments, --backup), or a recorded reason to skip it.
    std::optional<backup::Manifest> pre_deploy;
    if (!steps.empty()) {
        pre_deploy = backup_gate(options, args, project.config, target, *control, ctx.run_id);
    }

    // 8. Tell the team (a required endpoint that cannot be told stops the run here,
    //    before anything changed).
    notify::Notifier notifier(project.config, ctx.run_id);
    auto deploy_event = [&](const std::string& type, const std::string& status) {
        notify::Event e = notifier.event(type, status);
        e.target = notify::event_target(executor::read_identity(*control));
        e.version_from = report.head;
        for (const auto& step : steps) {
            e.migrations.push_back(step.migration->id());
            e.version_to = step.migration->version;
        }
        if (pre_deploy) {
            e.backup = notify::EventBackup{pre_deploy->id, pre_deploy->total_bytes,
                                           pre_deploy->state == backup::BackupState::verified};
        }
        return e;
    };
    std::string started_at = util::format_utc(std::chrono::system_clock::now(), true);
    if (!steps.empty()) {
        notify::Event e = deploy_event("deploy.started", "started");
        e.started_at = started_at;
        if (notify::Notifier::required_failed(notifier.send(e))) {
            throw Error(
                ExitCode::refused,
                "a required notification endpoint did not take deploy.started; nothing "
                "was applied",
                "Check the endpoint (safe-migrate notify test), or mark it required = false.");
        }
    }

    // 9. Apply each pending migration in order; record the run from start to end.
    executor::record_event(
        *control, {ctx.run_id, "run.started", std::nullopt,
                   std::to_string(steps.size()) + " pending migration(s); by " + ctx.actor});
    std::vector<std::pair<const core::Migration*, std::chrono::milliseconds>> applied;
    std::optional<int64_t> head = report.head;
    auto started = std::chrono::steady_clock::now();
    try {
        for (const auto& step : steps) {
            if (util::interrupted()) {
                throw Error(ExitCode::interrupted,
                            "interrupted before applying " + step.migration->id() +
                                "; earlier migrations of this run stay applied");
            }
            if (text) {
                say(options, "applying " + step.migration->id() +
                                 (project.up.at(step.migration->version).transactional
                                      ? ""
                                      : " (no transaction)"));
            }
            auto took = executor::apply_migration(
                ctx, *step.migration, project.up.at(step.migration->version), step.resume);
            applied.emplace_back(step.migration, took);
            head = std::max(head.value_or(step.migration->version), step.migration->version);
            notify::Event e = deploy_event("migration.applied", "applied");
            e.migrations = {step.migration->id()};
            e.version_to = step.migration->version;
            e.duration_ms = took.count();
            notifier.send(e);
            if (text) {
                say(options, "  done in " + util::format_duration(took));
            }
        }
    } catch (const Error& e) {
        const char* kind = e.code() == ExitCode::interrupted ? "run.interrupted" : "run.failed";
        executor::record_event(
            *control, {ctx.run_id, kind, std::nullopt,
                       std::to_string(applied.size()) + " of " + std::to_string(steps.size()) +
                           " migration(s) applied before it stopped"});
        notify::Event failed = deploy_event("deploy.failed", "failed");
        failed.started_at = started_at;
        failed.version_to = head;
        failed.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
        failed.error = notify::event_error(e.code(), e.what());
        notifier.send(failed);
        throw;
    }

    // 10. Record the end of the run and report; the lock is released on return.
    auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!steps.empty()) {
        notify::Event done = deploy_event("deploy.succeeded", "succeeded");
        done.started_at = started_at;
        done.duration_ms = total.count();
        notifier.send(done);
    }
    executor::record_event(*control, {ctx.run_id, "run.finished", std::nullopt,
                                      std::to_string(applied.size()) + " migration(s) applied in " +
                                          util::format_duration(total)});
    if (text) {
        say(options, steps.empty()
                         ? "nothing to apply; head is " + (head ? std::to_string(*head) : "empty")
                         : "applied " + std::to_string(applied.size()) + " migration(s) in " +
                               util::format_duration(total) + "; head is now " +
                               std::to_string(*head));
    } else {
        print_json_result(ctx.run_id, control->display_name(), applied, head);
    }
    return 0;
}

}  // namespace sm::cli
