// safe-migrate execute: apply pending migrations as one production-safe run.
//
// Load -> plan check -> connect and lock -> preflight -> backup gate ->
// notify started -> apply each migration -> record -> notify the result; on
// failure: notify, the failure policy (automatic rollback), notify again.
#include "cli/backup_gate.hpp"
#include "cli/commands.hpp"
#include "cli/execute_dry_run.hpp"
#include "cli/execute_support.hpp"
#include "cli/failure_recovery.hpp"
#include "cli/preflight_gate.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "executor/advisory_lock.hpp"
#include "executor/apply.hpp"
#include "executor/history.hpp"
#include "executor/status.hpp"
#include "executor/target_info.hpp"
#include "notify/notifier.hpp"
#include "seed/protected_target.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

constexpr const char* k_failure_runbook = "runbooks/failed-deployment.md";

using Applied = std::vector<std::pair<const core::Migration*, std::chrono::milliseconds>>;

// The deployment's notifications, each with what the run knows so far.
class DeployEvents {
  public:
    DeployEvents(notify::Notifier& notifier, executor::Session& control,
                 const executor::StatusReport& report, const std::vector<ExecuteStep>& steps)
        : m_notifier(notifier),
          m_target(notify::event_target(executor::read_identity(control))),
          m_from(report.head),
          m_steps(steps) {}

    void set_backup(const std::optional<backup::Manifest>& m) { m_backup = m; }

    notify::Event make(const std::string& type, const std::string& status) const {
        notify::Event e = m_notifier.event(type, status);
        e.target = m_target;
        e.version_from = m_from;
        for (const auto& step : m_steps) {
            e.migrations.push_back(step.migration->id());
            e.version_to = step.migration->version;
        }
        if (m_backup) {
            e.backup = notify::EventBackup{m_backup->id, m_backup->total_bytes,
                                           m_backup->state == backup::BackupState::verified};
        }
        e.started_at = m_started_at;
        e.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - m_started)
                            .count();
        return e;
    }

    // False when a required endpoint did not take it.
    bool send(const notify::Event& e) {
        return !notify::Notifier::required_failed(m_notifier.send(e));
    }

  private:
    notify::Notifier& m_notifier;
    notify::EventTarget m_target;
    std::optional<int64_t> m_from;
    const std::vector<ExecuteStep>& m_steps;
    std::optional<backup::Manifest> m_backup;
    std::string m_started_at = util::format_utc(std::chrono::system_clock::now(), true);
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

// Stops the run between migrations once --max-duration is used up.
void check_duration(const core::ExecuteSettings& s, std::chrono::steady_clock::time_point started,
                    const core::Migration& next) {
    if (!s.max_duration) {
        return;
    }
    auto used = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (used > *s.max_duration) {
        throw Error(ExitCode::failure, "the run exceeded its time limit (max_duration " +
                                           util::format_duration(*s.max_duration) + ") after " +
                                           util::format_duration(used) + ", before applying " +
                                           next.id());
    }
}

// The tables of list that are also in watched.
std::vector<std::string> only(const std::vector<std::string>& list,
                              const std::vector<std::string>& watched) {
    std::vector<std::string> out;
    for (const auto& t : list) {
        if (std::find(watched.begin(), watched.end(), t) != watched.end()) {
            out.push_back(t);
        }
    }
    return out;
}

}  // namespace

int run_execute(const GlobalOptions& options, const ExecuteArgs& args) {
    util::InterruptGuard interrupts;
    if (args.plan && args.target) {
        throw Error(ExitCode::usage,
                    "--plan and --target cannot be combined: the plan says what to apply");
    }
    auto started = std::chrono::steady_clock::now();

    // 1. Load the config and every migration script; invalid sources and bad
    //    flags stop here, before anything connects.
    Project project = load_project(options);
    core::ExecuteSettings settings = project.config.execute;
    apply_flag_overrides(settings, args, project.config);

    // 2. Connect twice: a control session that holds the lock and writes events,
    //    and a session that runs the migrations. Refuse a standby.
    core::Target target = resolve_target(options, project.config);
    auto control = connect_target(target, project.config, "lock");
    auto migration = connect_target(target, project.config);
    executor::prepare_migration_session(*migration);
    executor::RunContext ctx{*migration, *control, core::new_run_id(), core::actor(), settings};
    bool text = options.format == Format::text;
    if (text && !args.dry_run) {
        say(options, "target: " + control->display_name() + " (from " +
                         core::target_source_name(target.source) + ")");
    }
    executor::refuse_standby(*control);

    // 3. A dry run stops here: it plans, preflights and reports; it changes nothing.
    if (args.dry_run) {
        return dry_run_execute(options, args, project, ctx);
    }

    // 4. Take the migration lock (another runner makes us wait, then fail naming
    //    it), create the history schema on first use, read where the target stands.
    executor::AdvisoryLock lock(*control, settings.lock_wait);
    executor::ensure_history_schema(*control);
    seed::remember_if_protected(*control, project.config);  // reset and seed clear refuse it
    auto partial = executor::read_partial(*control);
    auto report =
        executor::compute_status(project.migrations, executor::read_applied(*control), partial);

    // 5. Refuse drift unless accepted; with --plan, refuse anything that differs
    //    from the reviewed plan and apply only what it lists.
    check_drift(ctx, report, args);
    std::vector<ExecuteStep> steps = plan_steps(project, report, partial, settings, args);
    if (args.plan) {
        hold_to_plan(*args.plan, *control, report, steps, settings);
        ctx.settings = settings;
    }

    // 6. Preflight: replicas in step, and no session that would block the run's
    //    tables (wait for them, terminate them if allowed, or stop: nothing applied).
    std::vector<std::string> watched;
    if (!steps.empty()) {
        check_replica_lag(*control, settings);
        watched = watched_tables(ctx, tables_of(project, steps));
        clear_blockers(options, ctx, watched, "the run");
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
    DeployEvents events(notifier, *control, report, steps);
    events.set_backup(pre_deploy);
    if (!steps.empty() && !events.send(events.make("deploy.started", "started"))) {
        throw Error(ExitCode::refused,
                    "a required notification endpoint did not take deploy.started; nothing "
                    "was applied",
                    "Check the endpoint (safe-migrate notify test), or mark it required = false.");
    }

    // 9. Apply each pending migration in order, each after its own preflight and
    //    within the run's time limit; record the run from start to end.
    executor::record_event(
        *control, {ctx.run_id, "run.started", std::nullopt,
                   std::to_string(steps.size()) + " pending migration(s); by " + ctx.actor});
    Applied applied;
    std::optional<int64_t> head = report.head;
    const core::Migration* current = nullptr;
    bool in_apply = false;  // the failure happened inside current's own apply
    try {
        for (const auto& step : steps) {
            current = step.migration;
            const core::Script& up = project.up.at(current->version);
            if (util::interrupted()) {
                throw Error(ExitCode::interrupted, "interrupted before applying " + current->id());
            }
            check_duration(settings, started, *current);
            check_replica_lag(*control, settings);
            clear_blockers(options, ctx, only(up.tables(), watched), current->id());
            if (text) {
                say(options,
                    "applying " + current->id() + (up.transactional ? "" : " (no transaction)"));
            }
            in_apply = true;
            auto took = executor::apply_migration(ctx, *current, up, step.resume);
            in_apply = false;
            applied.emplace_back(current, took);
            head = std::max(head.value_or(current->version), current->version);
            notify::Event e = events.make("migration.applied", "applied");
            e.migrations = {current->id()};
            e.version_to = current->version;
            e.duration_ms = took.count();
            events.send(e);
            if (text) {
                say(options, "  done in " + util::format_duration(took));
            }
        }
    } catch (const Error& e) {
        // 10. On failure: record it and tell the team at once.
        bool interrupted = e.code() == ExitCode::interrupted;
        executor::record_event(
            *control, {ctx.run_id, interrupted ? "run.interrupted" : "run.failed", std::nullopt,
                       std::to_string(applied.size()) + " of " + std::to_string(steps.size()) +
                           " migration(s) applied before it stopped"});
        notify::Event failed = events.make("deploy.failed", "failed");
        failed.version_to = head;
        failed.error = notify::event_error(e.code(), e.what());
        failed.runbook = k_failure_runbook;
        events.send(failed);

        // 11. Undo under the failure policy; an interrupt stops without undoing.
        if (interrupted) {
            throw Error(e.code(),
                        std::string(e.what()) + "; " + std::to_string(applied.size()) +
                            " migration(s) of this run stay applied",
                        "Re-run execute to continue, or undo them with safe-migrate rollback "
                        "--steps " +
                            std::to_string(applied.size()) + ".");
        }
        FailedRun run;
        for (const auto& a : applied) {
            run.applied.push_back(a.first);
        }
        run.failed = in_apply ? current : nullptr;
        run.start_head = report.head;
        run.pre_deploy = pre_deploy;
        run.error = notify::event_error(e.code(), e.what()).message;
        std::unique_ptr<executor::Session> control_after;
        Recovery recovery =
            recover_failed_run(options, project, target, ctx, run, migration, control_after);

        // 12. Tell the team what was undone, and by which means.
        bool undid = recovery.rollback.means != "none";
        bool stuck = !recovery.rollback.manual_action.empty() && settings.on_failure != "stop";
        if (undid || stuck) {
            notify::Event rolled =
                events.make("deploy.rolled_back",
                            recovery.rollback.complete ? "rolled_back" : "rollback_incomplete");
            rolled.version_to = recovery.head;
            rolled.error = failed.error;
            rolled.rollback = recovery.rollback;
            rolled.runbook = k_failure_runbook;
            events.send(rolled);
        }
        // The failing step's own hint assumes nothing was undone.
        throw Error(
            e.code(), std::string(e.what()) + "\n" + recovery.summary,
            undid || e.hint().empty() ? "See " + std::string(k_failure_runbook) + "." : e.hint());
    }

    // 13. Record the end of the run, tell the team, report; the lock is released on return.
    auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!steps.empty()) {
        events.send(events.make("deploy.succeeded", "succeeded"));
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
