#include "deploy/run.hpp"

#include <algorithm>
#include <future>
#include <memory>

#include "backup/create.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "deploy/adopt.hpp"
#include "deploy/backup_gate.hpp"
#include "deploy/checks.hpp"
#include "deploy/events.hpp"
#include "deploy/history_setup.hpp"
#include "deploy/phases.hpp"
#include "deploy/policy_gate.hpp"
#include "deploy/preflight_gate.hpp"
#include "deploy/recovery.hpp"
#include "deploy/rewrite.hpp"
#include "deploy/steps.hpp"
#include "executor/apply.hpp"
#include "executor/backfill.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* k_failure_runbook = "runbooks/failed-deployment.md";

// One run of the pipeline (run.hpp). A real run throws where it stops; a dry
// run records the reason in its report and walks on.
class Deployment {
  public:
    Deployment(Request request, Reporter& reporter)
        : m_r(std::move(request)), m_project(*m_r.project), m_reporter(reporter) {}

    int run() {
        // 0. Read the notify section: a bad endpoint or signing secret stops the
        //    run here, before anything is asked of the target (a dry run says the same).
        m_notifier = std::make_unique<notify::Notifier>(m_project.config, m_run_id, m_r.io.http());
        // 1. Connect: a control session that holds the lock and writes events,
        //    and a session that runs the migrations. Refuse a standby.
        connect();
        // 2. Take the migration lock (another runner makes us wait, then fail
        //    naming it), create the history schema on first use. A dry run only
        //    looks for the holder and creates nothing.
        lock();
        // 3. Read where the target stands; refuse drift unless accepted; choose
        //    the steps; with a plan, apply only what it lists, under its settings.
        choose_steps();
        // 4. The policy gate: migrations marked unproven (rewrite without a
        //    database) are proven on a copy of the schema (rewrite.hpp); then
        //    lint what is about to be applied under the policy with the
        //    target's context; errors stop the run (exit 4) unless overridden
        //    with a reason. With a plan, its verdict was the gate.
        proof_gate();
        policy_gate();
        //    A contract migration waits for its change's backfill and for the
        //    old application to disconnect (phases.hpp): exit 4, nothing applied.
        phase_gate();
        // 5. Preflight: replicas in step, and no session that would block the
        //    run's tables (wait, terminate if allowed, or stop: nothing applied).
        preflight();
        if (m_r.dry_run) {
            return finish_dry_run();
        }
        // 6. The backup gate: a verified pre-deploy backup before the first
        //    migration (protected environments, --backup), or a recorded skip.
        if (!m_steps.empty()) {
            m_pre_deploy = backup_gate(m_r, *m_control, m_ctx->run_id, m_reporter);
        }
        // 7. Tell the team, apply each step, record, tell the result; on
        //    failure, recover under the failure policy.
        return apply_all();
    }

  private:
    void connect() {
        // Both at once: each connection waits mostly on the server (a new
        // backend, authentication).
        auto migration = std::async(std::launch::async, [this] { return m_r.io.connect(""); });
        m_control = m_r.io.connect("lock");
        m_migration = migration.get();
        executor::prepare_migration_session(*m_migration);
        m_ctx.reset(new executor::RunContext{*m_migration, *m_control, m_run_id, core::actor(),
                                             m_r.settings});
        // Made durable together by run.finished (apply_all), before success is reported.
        m_ctx->commit_asynchronously = true;
        if (!m_r.dry_run) {
            m_reporter.target(m_control->display_name(), m_r.target.source);
        }
        db::refuse_standby(*m_control);
    }

    void lock() {
        if (m_r.dry_run) {
            if (auto holder = db::find_lock_holder(*m_control)) {
                m_dry.lock_holder = holder->describe();
                stop_dry(ExitCode::lock_busy,
                         "another runner holds the migration lock: " + holder->describe());
            }
            return;
        }
        m_lock.emplace(*m_control, m_r.settings.lock_wait);
        // On first use there is nothing to read: the migration session creates
        // the schema while this one chooses the steps and the policy gate lints;
        // nothing is recorded before it commits (settle_schema).
        m_history.emplace(*m_control, *m_migration, m_project.config);
    }

    void settle_schema() {
        if (m_history) {
            m_history->settle();
        }
    }

    void choose_steps() {
        // On first use there is nothing to read (lock), and the schema is not in yet.
        std::vector<db::AppliedMigration> applied;
        if (!m_history || !m_history->first_use()) {
            m_partial = db::read_partial(*m_control);
            applied = db::read_applied(*m_control);
        }
        m_report = executor::compute_status(m_project.migrations, applied, m_partial);
        check_drift(*m_ctx, m_report, m_r.accept_changed, !m_r.dry_run);
        m_steps = deploy::choose_steps(m_project, m_report, m_partial, m_r.settings, m_r.up_to);
        // Only up to the phase asked for (--through; plain execute: backfill).
        PhaseCut cut = cut_at_phase(m_steps, m_r.through);
        m_steps = std::move(cut.steps);
        m_held = describe_held(cut.held);
        m_dry.held = m_held;
        if (m_r.plan_file) {
            m_plan_already_applied = !hold_to_plan(*m_r.plan_file, *m_control, m_report, m_r.policy,
                                                   m_steps, m_r.settings);
        }
        // Every requires= met by the history or an earlier step (a dry run says the same).
        check_requirements(m_project, m_report, m_steps);
    }

    // The same plan and decision for the real run and the dry run
    // (policy_gate.hpp). With a reviewed plan, its verdict was the gate
    // (hold_to_plan): the real run does not lint again, the dry run shows the plan.
    void policy_gate() {
        if (m_r.plan_file && !m_r.dry_run) {
            settle_schema();
            return;
        }
        planner::Plan plan = plan_steps(m_r, *m_control, m_report.head, m_steps);
        GateDecision gate = m_r.plan_file ? GateDecision{} : decide_gate(m_r, plan);
        settle_schema();
        if (m_r.dry_run) {
            m_dry.plan = std::move(plan);
            m_dry.policy_overridden = gate.overridden;
            if (gate.stop != ExitCode::ok) {
                stop_dry(gate.stop, gate.reason);
            }
            return;
        }
        if (gate.stop != ExitCode::ok) {
            refuse_at_gate(plan, gate);
        }
        if (gate.overridden) {
            const auto& o = *gate.overridden;
            db::record_event(*m_control,
                             {m_ctx->run_id, "policy.overridden", std::nullopt,
                              std::to_string(o.findings) + " error finding(s) of policy " +
                                  o.policy + " overridden: " + o.reason});
            core::log_warn("policy " + o.policy + " overridden (" + std::to_string(o.findings) +
                           " error finding(s)): " + o.reason);
            m_reporter.policy_overridden(plan, o);
            m_overridden = gate.overridden;
        } else if (m_r.policy_override.requested) {
            core::log_info("--override-policy: policy " + plan.policy.name +
                           " allows the plan; nothing was overridden");
        }
    }

    // Stops the run at the gate: the findings to the caller, an event, and the
    // team told of a blocked plan as plan tells them. Nothing was applied.
    [[noreturn]] void refuse_at_gate(const planner::Plan& plan, const GateDecision& gate) {
        bool blocked = gate.stop == ExitCode::policy;
        if (blocked) {
            m_reporter.policy_blocked(plan);
        }
        db::record_event(*m_control,
                         {m_ctx->run_id, blocked ? "policy.blocked" : "policy.override_refused",
                          std::nullopt, gate.reason + "; nothing was applied"});
        if (blocked) {
            DeployEvents events(*m_notifier, *m_control, m_report.head, m_steps);
            notify::Event e = events.make("plan.blocked", "blocked");
            e.error = notify::event_error(gate.stop, gate.reason);
            events.send(e);
        }
        throw Error(gate.stop, gate.reason + "; nothing was applied", gate.hint);
    }

    void proof_gate() {
        std::vector<const core::Migration*> pending;
        for (const auto& s : m_steps) {
            pending.push_back(s.migration);
        }
        gated([&] { prove_unproven(m_project, m_r.target, pending); });
    }

    // Refuses the run when a contract step cannot run yet (before anything is applied).
    void phase_gate() {
        ContractRefusal refusal = contract_refusal(m_steps, 0, m_report, m_project.migrations,
                                                   *m_control, m_r.settings.old_app_pattern);
        if (refusal.reason.empty()) {
            return;
        }
        if (m_r.dry_run) {
            stop_dry(ExitCode::policy, refusal.reason);
            return;
        }
        db::record_event(*m_control, {m_ctx->run_id, "phase.refused", std::nullopt,
                                      refusal.reason + "; nothing was applied"});
        throw Error(ExitCode::policy, refusal.reason + "; nothing was applied", refusal.hint);
    }

    void preflight() {
        if (m_steps.empty()) {
            return;
        }
        gated([&] { check_replica_lag(*m_control, m_r.settings); });
        if (m_r.dry_run) {
            // Once and without waiting.
            m_dry.blockers = describe_blockers(*m_ctx, tables_of(m_project, m_steps));
            for (const auto& b : m_dry.blockers) {
                stop_dry(ExitCode::lock_busy, "blocking session: " + b);
            }
            return;
        }
        m_watched = watched_tables(*m_ctx, tables_of(m_project, m_steps));
        clear_blockers(*m_ctx, m_watched, "the run", m_r.quiet);
    }

    // A gate's refusal: thrown in a real run, recorded in a dry run's report.
    template <class Check>
    void gated(Check&& check) {
        try {
            check();
        } catch (const Error& e) {
            if (!m_r.dry_run) {
                throw;
            }
            stop_dry(e.code(), e.what());
        }
    }

    void stop_dry(ExitCode code, const std::string& reason) {
        if (m_dry.exit_code == 0) {
            m_dry.exit_code = static_cast<int>(code);
        }
        m_dry.reasons.push_back(reason);
    }

    int finish_dry_run() {
        // What would be backed up first.
        m_dry.backup_required = !m_steps.empty() && backup_required(m_r.backup, m_project.config);
        m_dry.backup_estimated_bytes =
            m_dry.backup_required ? backup::estimate_data_bytes(*m_control) : 0;
        m_dry.backup_directory = m_project.config.backup.dir.string();
        m_dry.on_failure = m_r.settings.on_failure;
        m_dry.pending = m_steps.size();
        m_dry.checks =
            m_steps.empty() ? std::vector<std::string>{} : planned_checks(m_r.settings, m_r.verify);
        m_reporter.dry_run(m_dry);
        return m_dry.exit_code;
    }

    int apply_all();
    void apply_step(const Step& step, DeployEvents& events,
                    const std::optional<executor::NextMigration>& next);
    void record_applied(const core::Migration& m, std::chrono::milliseconds took,
                        DeployEvents& events);
    [[noreturn]] void fail(const Error& e, DeployEvents& events);

    Request m_r;
    const planner::Project& m_project;
    Reporter& m_reporter;
    Clock::time_point m_started = Clock::now();
    std::string m_run_id = core::new_run_id();
    std::unique_ptr<notify::Notifier> m_notifier;
    std::unique_ptr<db::Session> m_control;
    std::unique_ptr<db::Session> m_migration;
    std::unique_ptr<executor::RunContext> m_ctx;
    std::optional<db::AdvisoryLock> m_lock;
    std::optional<HistorySetup> m_history;  // after m_lock: settled before it is released
    std::vector<db::PartialMigration> m_partial;
    executor::StatusReport m_report;
    std::vector<Step> m_steps;
    std::vector<std::string> m_watched;
    std::vector<std::string> m_held;  // pending migrations left for a later phase
    std::optional<backup::Manifest> m_pre_deploy;
    std::optional<PolicyOverridden> m_overridden;  // the run went past the policy gate
    bool m_plan_already_applied = false;           // --plan: nothing left of it to apply
    DryRunReport m_dry;
    // Progress of the apply phase.
    std::vector<AppliedStep> m_applied;
    std::vector<const core::Migration*> m_applied_migrations;
    std::vector<CheckResult> m_checks;  // the post-deploy checks, all passed
    std::optional<core::Version> m_head;
    const core::Migration* m_current = nullptr;
    bool m_in_apply = false;       // the failure happened inside m_current's own apply
    bool m_contract_held = false;  // a contract step was refused at its turn
};

int Deployment::apply_all() {
    // Tell the team first: a required endpoint that cannot be told stops the
    // run here, before anything changed.
    DeployEvents events(*m_notifier, *m_control, m_report.head, m_steps);
    events.set_backup(m_pre_deploy);
    events.set_policy_override(m_overridden);
    events.set_started(m_started);
    if (!m_steps.empty() && !events.send(events.make("deploy.started", "started"))) {
        // Whoever got (or spooled) deploy.started hears how it ended.
        Error refused(
            ExitCode::refused,
            "a required notification endpoint did not take deploy.started; nothing "
            "was applied",
            "Check the endpoint (safe-migrate notify test), or mark it required = false.");
        notify::Event e = events.make("deploy.failed", "refused");
        e.version_to = m_report.head;
        e.error = notify::event_error(refused.code(), refused.what());
        events.send(e);
        throw refused;
    }

    // Apply each step in order, each after its own preflight and within the
    // run's time limit; record the run from start to end.
    db::record_event(
        *m_control, {m_ctx->run_id, "run.started", std::nullopt,
                     std::to_string(m_steps.size()) + " pending migration(s); by " + m_ctx->actor});
    m_head = m_report.head;
    if (m_r.settings.max_duration) {
        // Each statement's timeouts are capped to what is left (apply.hpp).
        m_ctx->deadline = m_started + *m_r.settings.max_duration;
    }
    try {
        for (size_t i = 0; i < m_steps.size(); ++i) {
            // A contract step's refusals again at its turn (phases.hpp); the
            // steps before it stay applied (fail() undoes nothing for this stop).
            ContractRefusal late = contract_step_refusal(m_steps, i, m_report, m_project.migrations,
                                                         *m_control, m_r.settings.old_app_pattern);
            m_contract_held = !late.reason.empty();
            if (m_contract_held) {
                db::record_event(*m_control, {m_ctx->run_id, "phase.refused", {}, late.reason});
                throw Error(ExitCode::policy, late.reason, late.hint);
            }
            apply_step(m_steps[i], events, next_to_send(*m_ctx, m_project, m_steps, i, m_watched));
        }
        // The post-deploy checks (and validate with --verify): one failing
        // fails the run, which is undone under the failure policy.
        if (!m_steps.empty()) {
            m_checks = run_post_deploy_checks(m_r, *m_migration, *m_control, m_ctx->run_id);
        }
    } catch (const Error& e) {
        fail(e, events);
    }

    // Record the end of the run, tell the team, report; the lock is released on return.
    Result result;
    result.run_id = m_ctx->run_id;
    result.target = m_control->display_name();
    result.applied = m_applied;
    result.head = m_head;
    result.took = util::millis_since(m_started);
    result.nothing_pending = m_steps.empty();
    result.plan_already_applied = m_plan_already_applied;
    result.policy_overridden = m_overridden;
    result.held = m_held;
    result.checks = m_checks;
    // run.finished commits synchronously: once it is on disk, so is every
    // migration this run applied (they committed asynchronously before it).
    record_run_finished(*m_control, m_ctx->run_id, m_applied.size(), result.took);
    if (!m_steps.empty()) {
        notify::Event succeeded = events.make("deploy.succeeded", "succeeded");
        succeeded.duration_ms = result.took.count();  // as the CLI reports it
        events.send(succeeded);
    }
    m_reporter.finished(result);
    return 0;
}

void Deployment::apply_step(const Step& step, DeployEvents& events,
                            const std::optional<executor::NextMigration>& next) {
    m_current = step.migration;
    const core::Script& up = m_project.up.at(m_current->version);
    // Sent ahead already, it is not stopped here: its result says whether it
    // ran (an interrupt cancels it). The checks below have nothing to check for
    // a step sent ahead (next_to_send).
    if (util::interrupted() && m_ctx->in_flight != m_current) {
        throw Error(ExitCode::interrupted, "interrupted before applying " + m_current->id());
    }
    check_time_left(m_r.settings, util::millis_since(m_started), *m_current);
    check_replica_lag(*m_control, m_r.settings);
    clear_blockers(*m_ctx, step_watched_tables(m_project, step, m_watched), m_current->id(),
                   m_r.quiet);
    m_reporter.applying(m_current->id(), up.transactional);
    m_in_apply = true;
    auto took = up.backfill
                    ? executor::run_backfill(*m_ctx, *m_current, up, m_project.config.backfill,
                                             backfill_progress_printer(m_r.settings.heartbeat))
                    : executor::apply_migration(*m_ctx, *m_current, up, step.resume,
                                                next ? &*next : nullptr);
    m_in_apply = false;
    record_applied(*m_current, took, events);
}

void Deployment::record_applied(const core::Migration& m, std::chrono::milliseconds took,
                                DeployEvents& events) {
    m_applied.push_back({m.version, m.name, took});
    m_applied_migrations.push_back(&m);
    m_head = std::max(m_head.value_or(m.version), m.version);
    events.send_applied(m, took);
    m_reporter.applied(m.id(), took);
}

void Deployment::fail(const Error& e, DeployEvents& events) {
    // A migration sent ahead that was still in flight is cancelled; if it
    // committed first, it is one of this run's (undone with them below).
    if (const core::Migration* sent = m_ctx->in_flight) {
        if (auto took = executor::settle_in_flight(*m_ctx)) {
            m_reporter.applying(sent->id(), true);
            record_applied(*sent, *took, events);
        }
    }
    // Record the failure and tell the team at once.
    bool interrupted = e.code() == ExitCode::interrupted;
    std::string count = std::to_string(m_applied.size());
    db::record_event(*m_control,
                     {m_ctx->run_id, interrupted ? "run.interrupted" : "run.failed", std::nullopt,
                      count + " of " + std::to_string(m_steps.size()) +
                          " migration(s) applied before it stopped"});
    // Stopped before any migration ran (a preflight, the time limit): refused.
    bool refused = m_applied.empty() && !m_in_apply && !interrupted;
    notify::Event failed = events.make("deploy.failed", refused ? "refused" : "failed");
    failed.version_to = m_head;  // the version reached, not the one intended
    failed.error = notify::event_error(e.code(), e.what());
    failed.runbook = k_failure_runbook;
    events.send(failed);

    // An interrupt, or a contract step refused at its turn, stops without undoing anything.
    if (interrupted || m_contract_held) {
        throw Error(e.code(),
                    std::string(e.what()) + "; " + count + " migration(s) of this run stay applied",
                    m_contract_held     ? e.hint()
                    : m_applied.empty() ? "Re-run execute to continue."
                                        : "Re-run execute to continue, or undo them with "
                                          "safe-migrate rollback --steps " +
                                              count + ".");
    }
    // Undo under the failure policy.
    FailedRun run;
    run.applied = m_applied_migrations;
    run.failed = m_in_apply ? m_current : nullptr;
    run.start_head = m_report.head;
    run.pre_deploy = m_pre_deploy;
    run.error = notify::event_error(e.code(), e.what()).message;
    run.notifier = m_notifier.get();
    run.target = events.target();
    std::unique_ptr<db::Session> control_after;
    Recovery recovery = recover_failed_run(m_r, *m_ctx, run, m_migration, control_after);

    // Tell the team what was undone, and by which means.
    bool undid = tell_rolled_back(events, recovery, failed, m_r.settings.on_failure);
    // The failing step's own hint assumes nothing was undone; "already exists" on
    // a database another tool ran wants adopt instead.
    std::string hint = adopt_hint(*m_control, e.what());
    throw Error(e.code(), std::string(e.what()) + "\n" + recovery.summary,
                !hint.empty()               ? hint
                : undid || e.hint().empty() ? "See " + std::string(k_failure_runbook) + "."
                                            : e.hint());
}

}  // namespace

int run(Request request, Reporter& reporter) {
    util::InterruptGuard interrupts;
    return Deployment(std::move(request), reporter).run();
}

}  // namespace sm::deploy
