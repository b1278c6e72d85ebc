// safe-migrate execute: apply pending migrations as one production-safe run.
//
// The command line only resolves the request (config, environment and flags,
// in one place), hands it to the deployment pipeline (deploy/run.hpp), and
// prints what the pipeline reports, as text or JSON.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "deploy/json_views.hpp"
#include "deploy/run.hpp"
#include "deploy/settings.hpp"
#include "planner/policy.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

struct ExecuteArgs {
    std::optional<std::filesystem::path> plan;  // the reviewed plan artifact to hold the run to
    std::optional<std::string> target;
    std::string through = "backfill";  // the last phase applied (deploy/phases.hpp)
    std::optional<std::string> lock_wait;
    std::optional<std::string> lock_timeout;
    std::optional<int> lock_retries;
    std::vector<std::string> accept_changed;
    bool allow_out_of_order = false;
    bool backup = false;                    // take a verified pre-deploy backup first
    bool skip_backup = false;               // skip the backup a protected environment requires
    std::optional<std::string> policy;      // the policy gate's policy (name or file)
    bool override_policy = false;           // go past a blocked policy gate (needs --reason)
    std::optional<std::string> reason;      // why, for every override given (recorded for each)
    std::optional<std::string> on_failure;  // rollback, restore, stop
    std::optional<std::string> wait_for_blockers;  // durations as given
    std::optional<std::string> blocker_age;
    bool terminate_blockers = false;
    std::optional<std::string> max_replica_lag;
    std::optional<std::string> max_duration;
    bool dry_run = false;  // change nothing; say whether the run would proceed
    bool verify = false;   // validate after the last migration
};

// The one --reason, trimmed; usage error naming flag when it is missing.
std::string reason_for(const ExecuteArgs& args, const char* flag) {
    std::string reason = args.reason ? std::string(util::trim(*args.reason)) : "";
    if (reason.empty()) {
        throw Error(ExitCode::usage,
                    std::string(flag) + " needs --reason \"...\" (it is recorded)");
    }
    return reason;
}

// --override-policy and its reason.
deploy::PolicyOverride policy_override(const ExecuteArgs& args) {
    deploy::PolicyOverride o;
    if (args.override_policy) {
        if (args.plan) {
            throw Error(ExitCode::usage,
                        "--override-policy and --plan cannot be combined: the plan's verdict is "
                        "the gate");
        }
        o.requested = true;
        o.reason = reason_for(args, "--override-policy");
    }
    return o;
}

// --backup, --skip-backup and its reason as the pipeline's backup policy.
deploy::BackupPolicy backup_policy(const ExecuteArgs& args) {
    if (args.backup && args.skip_backup) {
        throw Error(ExitCode::usage, "give --backup or --skip-backup, not both");
    }
    deploy::BackupPolicy policy;
    if (args.backup) {
        policy.choice = deploy::BackupChoice::always;
    }
    if (args.skip_backup) {
        policy.choice = deploy::BackupChoice::skip;
        policy.skip_reason = reason_for(args, "--skip-backup");
    }
    return policy;
}

std::optional<std::chrono::milliseconds> duration_given(const std::optional<std::string>& text,
                                                        const char* flag) {
    if (!text) {
        return std::nullopt;
    }
    return duration_flag(text, flag, std::chrono::milliseconds(0));
}

deploy::Overrides overrides_of(const ExecuteArgs& args) {
    deploy::Overrides o;
    o.lock_wait = duration_given(args.lock_wait, "--lock-wait");
    o.lock_timeout = duration_given(args.lock_timeout, "--lock-timeout");
    o.lock_retries = args.lock_retries;
    o.allow_out_of_order = args.allow_out_of_order;
    if (args.on_failure) {
        o.on_failure = core::parse_failure_policy(*args.on_failure);
    }
    o.wait_for_blockers = duration_given(args.wait_for_blockers, "--wait-for-blockers");
    o.blocker_age = duration_given(args.blocker_age, "--blocker-age");
    o.terminate_blockers = args.terminate_blockers;
    o.max_replica_lag = duration_given(args.max_replica_lag, "--max-replica-lag");
    o.max_duration = duration_given(args.max_duration, "--max-duration");
    return o;
}

// Prints what the pipeline reports: progress lines and the result as text,
// or only the result document with --format json.
class ExecuteReporter : public deploy::Reporter {
  public:
    ExecuteReporter(const GlobalOptions& options, bool dry_run)
        : m_options(options), m_text(options.format == Format::text), m_dry_run(dry_run) {}

    void target(const std::string& display, core::TargetSource source) override {
        if (m_text && !m_dry_run) {
            say(m_options,
                "target: " + display + " (from " + core::target_source_name(source) + ")");
        }
    }
    void policy_blocked(const planner::Plan& plan) override {
        print_plan(plan);
        m_printed_plan = true;
    }
    void policy_overridden(const planner::Plan& plan, const deploy::PolicyOverridden& o) override {
        if (m_text) {
            print_plan(plan);
            say(m_options, "policy " + o.policy + " overridden (" + std::to_string(o.findings) +
                               " error finding(s)): " + o.reason);
        }
    }
    void backup_verified(const backup::Manifest& m) override {
        if (m_text && m.restore_point) {
            say(m_options, "pre-deploy restore point " + m.restore_point->name + " at " +
                               m.restore_point->lsn + " (" + m.id + ")");
        } else if (m_text) {
            say(m_options, "pre-deploy backup " + m.id + " verified (" +
                               util::human_bytes(m.total_bytes) + ")");
        }
    }
    void applying(const std::string& id, bool transactional) override {
        if (m_text) {
            say(m_options, "applying " + id + (transactional ? "" : " (no transaction)"));
        }
    }
    void applied(const std::string&, std::chrono::milliseconds took) override {
        if (m_text) {
            say(m_options, "  done in " + util::format_duration(took));
        }
    }
    void finished(const deploy::Result& r) override;
    // The blocked plan was printed: with --format json, that is stdout's document.
    bool printed_plan() const { return m_printed_plan; }
    void dry_run(const deploy::DryRunReport& r) override;

  private:
    // As plan prints it: the plan and its findings, or the artifact's JSON.
    void print_plan(const planner::Plan& plan) const {
        std::string text = m_text ? planner::render_plan_text(plan) : planner::plan_to_json(plan);
        std::fwrite(text.data(), 1, text.size(), stdout);
    }

    const GlobalOptions& m_options;
    bool m_text;
    bool m_dry_run;
    bool m_printed_plan = false;
};

void ExecuteReporter::finished(const deploy::Result& r) {
    if (!m_text) {
        print_document(deploy::run_result_json(r));
        return;
    }
    for (const auto& line : deploy::run_result_lines(r)) {
        say(m_options, line);
    }
}

void ExecuteReporter::dry_run(const deploy::DryRunReport& r) {
    if (!m_text) {
        print_document(deploy::dry_run_json(r));
        return;
    }
    std::string text = planner::render_plan_text(r.plan);
    std::fwrite(text.data(), 1, text.size(), stdout);
    for (const auto& line : deploy::dry_run_lines(r)) {
        say(m_options, line);
    }
}

int run_execute(const GlobalOptions& options, const ExecuteArgs& args) {
    // 1. Flags that cannot go together, before anything is read.
    if (args.plan && args.target) {
        throw Error(ExitCode::usage,
                    "--plan and --target cannot be combined: the plan says what to apply");
    }
    deploy::BackupPolicy backup = backup_policy(args);
    deploy::PolicyOverride override_policy = policy_override(args);

    // 2. Load the config and find the target; start connecting to it while
    //    every migration script and the policy load (invalid sources and bad
    //    flags stop here, before anything is asked of the target). The settings are
    //    resolved once: the config's [execute], the environment's, then the flags.
    core::Config config = load_config(options);
    deploy::Request request;
    request.target = resolve_target(options, config);
    request.io = deploy::real_boundaries(request.target, config);
    deploy::connect_ahead(request.io, request.target, config);
    planner::Project project = planner::load_project(std::move(config));
    request.project = &project;
    request.settings = deploy::resolve_settings(project.config, overrides_of(args), backup);
    request.plan_file = args.plan;
    request.up_to = core::optional_version_flag("--target", args.target);
    request.accept_changed = core::version_flags("--accept-changed", args.accept_changed);
    request.through = core::parse_phase(args.through).value_or(core::Phase::backfill);
    request.backup = backup;
    request.policy = planner::load_policy(args.policy);
    request.policy_override = override_policy;
    request.verify = args.verify;
    request.dry_run = args.dry_run;
    request.quiet = options.quiet;
    request.quiet_tools = options.quiet || options.format == Format::json;

    // 3. Run the pipeline; it reports as it goes.
    ExecuteReporter reporter(options, args.dry_run);
    try {
        return deploy::run(std::move(request), reporter);
    } catch (const Error& e) {
        // Refused at the policy gate: stdout holds the plan, as plan prints it.
        if (!reporter.printed_plan()) {
            throw;
        }
        print_error(options, e.code(), e.what(), e.hint(), false);
        return static_cast<int>(e.code());
    }
}

}  // namespace

Command execute_command() {
    auto args = std::make_shared<ExecuteArgs>();
    return {
        "execute", "Apply pending migrations safely (lock, timeouts, retries, history)",
        [args](CLI::App& sub) {
            sub.add_option("--plan", args->plan,
                           "Apply exactly this reviewed plan artifact, or refuse");
            sub.add_option("--target", args->target, "Apply up to and including this version");
            sub.add_option("--through", args->through,
                           "Apply pending migrations up to this phase (default: backfill)")
                ->check(one_of("--through", {"expand", "backfill", "contract"}));
            sub.add_option("--lock-wait", args->lock_wait,
                           "How long to wait for another runner's migration lock (e.g. 2min)");
            sub.add_option("--lock-timeout", args->lock_timeout,
                           "lock_timeout per migration (e.g. 3s)");
            sub.add_option("--lock-retries", args->lock_retries, "Retries after a lock timeout");
            sub.add_option(
                "--accept-changed", args->accept_changed,
                "Accept the changed file of this applied version (recorded as an event)");
            sub.add_flag("--allow-out-of-order", args->allow_out_of_order,
                         "Apply pending migrations older than the newest applied one");
            sub.add_flag("--backup", args->backup,
                         "Take and verify a pre-deploy backup first (always on protected "
                         "environments)");
            sub.add_flag("--skip-backup", args->skip_backup,
                         "Skip the pre-deploy backup of a protected environment (needs --reason)");
            sub.add_option("--policy", args->policy,
                           "Policy of the gate: default, strict, or a .toml file (default: "
                           "./safe-migrate-policy.toml, else default)");
            sub.add_flag("--override-policy", args->override_policy,
                         "Apply although the policy blocks the plan (needs --reason; protected "
                         "environments: only if their config allows it)");
            sub.add_option("--reason", args->reason,
                           "Why, for --skip-backup and --override-policy (recorded for each)");
            sub.add_option("--on-failure", args->on_failure,
                           "After a failure: rollback (down files, then the backup), restore "
                           "(the pre-deploy backup) or stop")
                ->check(one_of("--on-failure", {"rollback", "restore", "stop"}));
            sub.add_option("--wait-for-blockers", args->wait_for_blockers,
                           "How long to wait for sessions blocking a migration's tables "
                           "(e.g. 30s)");
            sub.add_option("--blocker-age", args->blocker_age,
                           "A transaction or query older than this on a touched table is a "
                           "blocker (e.g. 1s)");
            sub.add_flag("--terminate-blockers", args->terminate_blockers,
                         "Terminate blockers still there after the wait (protected "
                         "environments: only if their config allows it)");
            sub.add_option("--max-replica-lag", args->max_replica_lag,
                           "Refuse while a physical replica replays further behind (e.g. 30s)");
            sub.add_option("--max-duration", args->max_duration,
                           "Stop and roll back when the run takes longer (a running statement "
                           "is stopped at the limit)");
            sub.add_flag("--verify", args->verify,
                         "After the last migration, also validate the live schema against the "
                         "migrations; drift fails the run (exit 11) and undoes it");
            sub.add_flag("--dry-run", args->dry_run,
                         "Plan, preflight and say what would be backed up; change nothing "
                         "(exit 0: the run would proceed)");
        },
        [args](const GlobalOptions& g) { return run_execute(g, *args); }, false};
}

}  // namespace sm::cli
