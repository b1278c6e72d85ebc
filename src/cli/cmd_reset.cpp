// safe-migrate reset: a development database from scratch. Drops the schemas
// the project owns, clears what the history says was applied, re-applies every
// migration and re-seeds, all under one hold of the migration lock. Never on a
// protected environment, nor on a database recorded as protected.
//
// The schemas the project owns are public and those its migrations create
// (found with PostgreSQL's parser, so text in strings and comments does not
// count). Schemas the migrations merely reference (a FOREIGN KEY to
// auth.users) and the safe_migrate schema are never dropped: the history,
// progress and seeds rows are deleted in the dropping transaction, while the
// append-only events and protected_targets survive.
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "executor/apply.hpp"
#include "executor/reset_schemas.hpp"
#include "planner/reset_scope.hpp"
#include "seed/protected_target.hpp"
#include "seed/seed_history.hpp"
#include "seed/seed_order.hpp"
#include "seed/seed_run.hpp"
#include "seed/seed_source.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {

struct ResetArgs {
    bool confirm = false;  // required
    std::optional<int> scale;
    std::optional<std::string> lock_wait;
};

namespace {

// What a reset that stopped after dropping the schemas says: what it dropped,
// how far it got, what to do.
struct ResetProgress {
    std::vector<std::string> dropped;
    size_t migrations_total = 0;
    size_t migrations_applied = 0;
    const core::Migration* current = nullptr;  // the migration it stopped at; null when seeding
};

Error reset_stopped(const ResetProgress& p, ExitCode code, const std::string& what) {
    std::string dropped = p.dropped.empty() ? "(none)" : util::join(p.dropped, ", ");
    std::string applied = std::to_string(p.migrations_applied) + " of " +
                          std::to_string(p.migrations_total) + " migration(s)";
    std::string where = p.current ? "at migration " + p.current->id() : "while seeding";
    bool interrupted = code == ExitCode::interrupted;
    return Error(code,
                 "reset " + std::string(interrupted ? "interrupted " : "failed ") + where +
                     ", after dropping the schemas (" + dropped + ") and re-applying " + applied +
                     ": " + what,
                 "The database is only partly rebuilt: its schemas were dropped, " + applied +
                     " were re-applied, and it stopped " + where + ". " +
                     (interrupted ? std::string("Run reset again.")
                      : p.current ? "Fix the migration and run reset again."
                                  : "Fix the seed and run reset again."));
}

}  // namespace

int run_reset(const GlobalOptions& options, const ResetArgs& args) {
    util::InterruptGuard interrupts;

    // 1. Refuse a protected environment whatever the flags; insist on --env and
    //    --confirm. Load the seeds and order them, so a cycle or a missing
    //    dependency stops here, before anything is dropped.
    if (!options.env) {
        throw Error(ExitCode::usage, "reset needs --env",
                    "Name the development environment to reset.");
    }
    planner::Project project = load_project(options);
    if (project.config.is_protected()) {
        throw Error(ExitCode::refused,
                    "environment '" + *options.env + "' is protected: reset never runs there",
                    "Nothing was changed.");
    }
    if (!args.confirm) {
        throw Error(ExitCode::usage,
                    "reset drops every schema the project manages in environment '" + *options.env +
                        "'; add --confirm");
    }
    seed::SeedSet seeds = seed::load_seeds(seed::seeds_dir(project.config));
    seed::order_for_environment(seeds, *options.env, "Nothing was dropped.");
    planner::ResetScope scope = planner::reset_scope(project.up);

    // 2. Connect, refuse a standby, take the migration lock, and refuse a
    //    database recorded as protected, or holding extensions in the schemas
    //    to drop that the migrations would not recreate.
    core::Target target = resolve_target(options, project.config);
    auto control = connect_target(target, project.config, "lock");
    auto session = connect_target(target, project.config);
    executor::prepare_migration_session(*session);
    db::refuse_standby(*control);
    db::AdvisoryLock lock(
        *control, duration_flag(args.lock_wait, "--lock-wait", project.config.execute.lock_wait));
    if (auto match = seed::protected_match(*control)) {
        throw Error(ExitCode::refused,
                    "reset refused: the target is recorded as protected (" + *match + ")",
                    "Nothing was changed. safe-migrate ran against this database as a protected "
                    "environment before. Check --database-url and --env.");
    }
    executor::refuse_foreign_extensions(*control, scope.schemas, scope.extensions);
    // Progress is text; with --format json only the result is printed.
    auto progress = [&options](const std::string& line) {
        if (options.format == Format::text) {
            say(options, line);
        }
    };
    progress("target: " + control->display_name() + " (environment '" + *options.env + "')");

    // 3. Drop the project's schemas, recreate public and clear the history, in
    //    one transaction; safe_migrate's events and protected targets stay.
    db::ensure_history_schema(*control);
    executor::RunContext ctx{*session, *control, core::new_run_id(), core::actor(),
                             project.config.execute};
    std::vector<std::string> owned(scope.schemas.begin(), scope.schemas.end());
    db::record_event(*control, {ctx.run_id, "reset.started", std::nullopt,
                                "environment " + *options.env + "; dropping schemas " +
                                    util::join(owned, ", ") + "; clearing history and seeds"});
    ResetProgress state;
    state.migrations_total = project.migrations.migrations.size();
    try {
        state.dropped = executor::drop_schemas(*control, scope.schemas);
    } catch (const Error& e) {
        db::record_event(
            *control,
            {ctx.run_id, e.code() == ExitCode::interrupted ? "reset.interrupted" : "reset.failed",
             std::nullopt, std::string(e.what()) + "; nothing was dropped"});
        throw;
    }
    std::string dropped_text = state.dropped.empty() ? "(none)" : util::join(state.dropped, ", ");
    progress("dropped schemas: " + dropped_text);
    db::record_event(
        *control, {ctx.run_id, "reset.dropped", std::nullopt,
                   "schemas dropped: " + dropped_text + "; history, progress and seeds cleared"});

    // 4. Re-apply every migration, each as execute applies it, then re-seed the
    //    environment. A failure from here on leaves a partly rebuilt database:
    //    record it and say how far it got.
    int seeded = 0;
    try {
        for (const auto& m : project.migrations.migrations) {
            state.current = &m;
            if (util::interrupted()) {
                throw Error(ExitCode::interrupted, "interrupted before applying " + m.id());
            }
            progress("applying " + m.id());
            auto took = executor::apply_migration(ctx, m, project.up.at(m.version), std::nullopt);
            ++state.migrations_applied;
            progress("  done in " + util::format_duration(took));
        }
        state.current = nullptr;
        seed::SeedContext seeding{*session,
                                  *control,
                                  ctx.run_id,
                                  ctx.actor,
                                  project.config.execute,
                                  *options.env,
                                  false,
                                  args.scale.value_or(project.config.seed.scale),
                                  progress};
        seeded = seed::run_seeds(seeding, seeds);
    } catch (const std::exception& e) {
        const auto* error = dynamic_cast<const Error*>(&e);
        ExitCode code = error ? error->code() : ExitCode::failure;
        db::record_event(
            *control,
            {ctx.run_id, code == ExitCode::interrupted ? "reset.interrupted" : "reset.failed",
             state.current ? std::optional<int64_t>(state.current->version) : std::nullopt,
             "stopped " +
                 (state.current ? "at migration " + state.current->id()
                                : std::string("while seeding")) +
                 " after dropping schemas " + dropped_text + " and re-applying " +
                 std::to_string(state.migrations_applied) + " of " +
                 std::to_string(state.migrations_total) + " migration(s)"});
        throw reset_stopped(state, code, util::redact_text(e.what()));
    }

    std::string summary = std::to_string(state.migrations_applied) + " migration(s) applied, " +
                          std::to_string(seeded) + " seed(s) run";
    db::record_event(*control, {ctx.run_id, "reset.finished", std::nullopt, summary});
    if (options.format == Format::json) {
        nlohmann::json out = {{"result", "ok"},
                              {"environment", *options.env},
                              {"dropped_schemas", state.dropped},
                              {"migrations_applied", state.migrations_applied},
                              {"seeds_run", seeded}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        say(options, "reset finished: " + summary);
    }
    return 0;
}

Command reset_command() {
    auto args = std::make_shared<ResetArgs>();
    return {"reset",
            "Drop the project's schemas, re-apply every migration and re-seed (development)",
            [args](CLI::App& sub) {
                sub.add_flag("--confirm", args->confirm,
                             "Required: everything in the project's schemas is dropped");
                sub.add_option("--scale", args->scale, "Seed scale (default [seed] scale, else 1)")
                    ->check(CLI::Range(1, 100000));
                sub.add_option("--lock-wait", args->lock_wait,
                               "How long to wait for the migration lock");
            },
            [args](const GlobalOptions& g) { return run_reset(g, *args); }, false};
}

}  // namespace sm::cli
