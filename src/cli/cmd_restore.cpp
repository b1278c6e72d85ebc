// safe-migrate restore: put a verified backup back, with every check first.
//
// The command line resolves the request from flags and config, hands it to
// deploy/restore.hpp (choose, verify, confirm, lock, restore, notify), and
// prints what it reports, as text or JSON.
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/log.hpp"
#include "deploy/json_views.hpp"
#include "deploy/restore.hpp"
#include "deploy/text_views.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace sm::cli {

struct RestoreArgs {
    bool latest = false;
    std::optional<std::string> id;
    std::optional<std::string> into;     // restore into this new database, keep the target
    std::optional<std::string> confirm;  // the target's database name
    bool in_place = false;
    bool force = false;
    bool no_safety_backup = false;
    std::optional<int> jobs;
    std::optional<std::filesystem::path> dir;
    std::optional<std::string> lock_wait;
    std::string kind = "any";
    bool print_steps = false;
    std::optional<std::filesystem::path> carry_events;
};

namespace {

void print_result(const GlobalOptions& options, const deploy::CatalogRestoreResult& done) {
    if (options.format == Format::json) {
        print_document(deploy::restore_result_json(done));
        return;
    }
    for (const auto& line : deploy::restore_result_lines(done)) {
        say(options, line);
    }
    for (const auto& t : done.restored.extra_tables) {
        core::log_warn("table " + t + " is not in the backup and was left as it is (in place)");
    }
}

}  // namespace

int run_restore(const GlobalOptions& options, const RestoreArgs& args) {
    util::InterruptGuard interrupts;
    // 1. Flags that cannot go together.
    if (args.in_place && args.into) {
        throw Error(ExitCode::usage, "give --in-place or --into, not both");
    }
    if (args.latest == args.id.has_value() && !args.carry_events) {
        throw Error(ExitCode::usage, "give --latest or --id ID");
    }

    // 2. The request: the config, the catalog, the target, the flags.
    core::Config config = load_config(options);
    if (args.dir) {
        config.backup.storage = "local";  // --backup-dir names a local catalog
    }
    deploy::CatalogRestoreRequest request;
    request.catalog = args.dir ? std::filesystem::absolute(*args.dir) : config.backup.dir;
    request.target = resolve_target(options, config);
    request.id = args.id;
    request.mode = args.in_place ? backup::RestoreMode::in_place
                   : args.into   ? backup::RestoreMode::into
                                 : backup::RestoreMode::swap;
    request.into = args.into.value_or("");
    request.confirm = args.confirm;
    request.force = args.force;
    request.no_safety_backup = args.no_safety_backup;
    request.jobs = args.jobs;
    request.lock_wait = duration_flag(args.lock_wait, "--lock-wait", config.execute.lock_wait);
    request.quiet = options.quiet || options.format == Format::json;
    request.io = deploy::real_boundaries(request.target, config);
    request.config = std::move(config);
    request.kinds = backup::kind_filter(args.kind);
    request.print_steps = args.print_steps;
    if (args.carry_events) {  // the last step of a recovery done by hand
        print_result(options, deploy::carry_events(request, *args.carry_events));
        return 0;
    }

    // 3. Restore; what it will do is said first (with --format json stdout
    //    holds the result document only, so that goes to stderr).
    auto tell = [&](const std::string& line) {
        if (options.format == Format::json) {
            core::log_info(line);
        } else {
            say(options, line);
        }
    };
    deploy::CatalogRestoreResult done = deploy::restore_from_catalog(request, tell);

    // 4. Report.
    print_result(options, done);
    return 0;
}

Command restore_command() {
    auto args = std::make_shared<RestoreArgs>();
    return {"restore", "Restore a verified backup (into a new database, then swap names)",
            [args](CLI::App& sub) {
                sub.add_flag("--latest", args->latest,
                             "The newest complete backup of this database");
                sub.add_option("--id", args->id, "The backup to restore");
                sub.add_option("--into", args->into,
                               "Restore into this new database and leave the target alone");
                sub.add_option("--confirm", args->confirm,
                               "The target database's name (needed when protected or not empty)");
                sub.add_flag("--in-place", args->in_place,
                             "Restore over the target in one transaction (--clean --if-exists)");
                sub.add_flag("--force", args->force,
                             "Terminate other sessions connected to the target");
                sub.add_flag("--no-safety-backup", args->no_safety_backup,
                             "Skip the backup of the target taken before restoring");
                sub.add_option("--jobs", args->jobs, "pg_restore -j (default: cores)")
                    ->check(CLI::Range(1, 64));
                sub.add_option("--backup-dir", args->dir,
                               "The catalog (default [backup] dir, else ./backups)");
                sub.add_option("--lock-wait", args->lock_wait,
                               "How long to wait for the migration lock");
                sub.add_option("--kind", args->kind, "What --latest picks: logical, restore-point");
                sub.add_flag("--print-steps", args->print_steps,
                             "Restore point: print the recovery's steps instead of running them");
                sub.add_option("--carry-events", args->carry_events,
                               "Re-insert events a recovery exported (its last step)");
            },
            [args](const GlobalOptions& g) { return run_restore(g, *args); }, false};
}

}  // namespace sm::cli
