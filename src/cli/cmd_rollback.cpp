// safe-migrate rollback: run down files, newest first.
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "util/error.hpp"
#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "executor/apply.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "notify/notifier.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

namespace sm::cli {

struct RollbackArgs {
    std::optional<int> steps;
    std::optional<int64_t> to;
    std::optional<std::string> lock_wait;
};

namespace {

// The applied migrations to revert, newest first.
std::vector<db::AppliedMigration> choose(
    const std::vector<db::AppliedMigration>& applied, const RollbackArgs& args) {
    std::vector<db::AppliedMigration> chosen;
    if (args.to) {
        for (auto it = applied.rbegin(); it != applied.rend() && it->version > *args.to; ++it) {
            chosen.push_back(*it);
        }
        return chosen;
    }
    int steps = args.steps.value_or(1);
    for (auto it = applied.rbegin();
         it != applied.rend() && static_cast<int>(chosen.size()) < steps; ++it) {
        chosen.push_back(*it);
    }
    return chosen;
}

}  // namespace

int run_rollback(const GlobalOptions& options, const RollbackArgs& args) {
    util::InterruptGuard interrupts;
    if (args.steps && args.to) {
        throw Error(ExitCode::usage, "give --steps or --to, not both");
    }
    if (args.steps && *args.steps < 1) {
        throw Error(ExitCode::usage, "--steps must be at least 1");
    }

    // 1. Load the config and every script.
    planner::Project project = load_project(options);
    core::ExecuteSettings settings = project.config.execute;
    settings.lock_wait = duration_flag(args.lock_wait, "--lock-wait", settings.lock_wait);

    // 2. Connect, refuse a standby, take the migration lock.
    core::Target target = resolve_target(options, project.config);
    auto control = connect_target(target, project.config, "lock");
    auto migration = connect_target(target, project.config);
    executor::prepare_migration_session(*migration);
    db::refuse_standby(*control);
    db::AdvisoryLock lock(*control, settings.lock_wait);
    executor::RunContext ctx{*migration, *control, core::new_run_id(), core::actor(), settings};

    // 3. Choose what to revert, and refuse up front when a down file is missing.
    auto chosen = choose(db::read_applied(*control), args);
    std::vector<std::string> missing;
    for (const auto& a : chosen) {
        const core::Migration* m = project.migrations.find(a.version);
        if (m == nullptr || !m->down) {
            missing.push_back((project.config.migrations_dir /
                               (std::to_string(a.version) + "_" + a.name + ".down.sql"))
                                  .string());
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& f : missing) {
            list += "\n  " + f;
        }
        throw Error(ExitCode::invalid_input, "cannot roll back: down file missing:" + list,
                    "Nothing was rolled back. Write the down file, or restore a backup.");
    }

    // 4. Revert newest first, each in its own transaction; record the run.
    db::record_event(*control, {ctx.run_id, "rollback.started", std::nullopt,
                                      std::to_string(chosen.size()) + " migration(s) to revert"});
    size_t done = 0;
    try {
        for (const auto& a : chosen) {
            const core::Migration& m = *project.migrations.find(a.version);
            say(options, "reverting " + m.id());
            auto took = executor::revert_migration(ctx, m, project.down.at(m.version));
            ++done;
            say(options, "  done in " + util::format_duration(took));
        }
    } catch (const Error&) {
        db::record_event(*control,
                               {ctx.run_id, "rollback.failed", std::nullopt,
                                std::to_string(done) + " of " + std::to_string(chosen.size()) +
                                    " migration(s) reverted before it stopped"});
        throw;
    }
    db::record_event(*control, {ctx.run_id, "rollback.finished", std::nullopt,
                                      std::to_string(done) + " migration(s) reverted"});
    if (done > 0) {
        notify::Notifier notifier(project.config, ctx.run_id);
        notify::Event e = notifier.event("deploy.rolled_back", "rolled_back");
        e.target = notify::event_target(db::read_identity(*control));
        e.version_from = chosen.front().version;
        auto remaining = db::read_applied(*control);
        if (!remaining.empty()) {
            e.version_to = remaining.back().version;
        }
        for (const auto& a : chosen) {
            e.migrations.push_back(std::to_string(a.version) + "_" + a.name);
        }
        notifier.send(e);
    }
    say(options, chosen.empty() ? "nothing to roll back"
                                : "reverted " + std::to_string(done) + " migration(s)");
    return 0;
}

Command rollback_command() {
    auto args = std::make_shared<RollbackArgs>();
    return {"rollback", "Revert applied migrations with their down files, newest first",
            [args](CLI::App& sub) {
             sub.add_option("--steps", args->steps,
                            "How many migrations to revert (default 1)");
             sub.add_option("--to", args->to, "Revert everything newer than this version");
             sub.add_option("--lock-wait", args->lock_wait,
                            "How long to wait for the migration lock");
         },
            [args](const GlobalOptions& g) { return run_rollback(g, *args); },
            false};
}

}  // namespace sm::cli
