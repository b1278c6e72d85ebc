// safe-migrate restore: put a verified backup back, with every check first.
#include <nlohmann/json.hpp>

#include "backup/catalog.hpp"
#include "backup/restore.hpp"
#include "backup/verify.hpp"
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "util/error.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/advisory_lock.hpp"
#include "db/target_info.hpp"
#include "notify/notifier.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

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
};

namespace {

using nlohmann::json;

backup::CatalogEntry choose_backup(const backup::Catalog& catalog, const RestoreArgs& args,
                                   const core::TargetIdentity& target) {
    if (args.latest == args.id.has_value()) {
        throw Error(ExitCode::usage, "give --latest or --id ID");
    }
    if (args.id) {
        backup::CatalogEntry e = backup::find_backup(catalog, *args.id);
        if (!e.manifest) {
            throw Error(ExitCode::backup_failed, "backup " + *args.id + ": " + e.problem);
        }
        return e;
    }
    auto latest = backup::latest_backup(catalog, target.database, target.system_identifier);
    if (!latest) {
        throw Error(ExitCode::backup_failed,
                    "no complete backup of database " + target.database + " (system identifier " +
                        target.system_identifier + ") in " + catalog.root.string(),
                    "Failed backups and backups of other clusters are never chosen. See "
                    "'safe-migrate backup list', or name one with --id.");
    }
    return *latest;
}

}  // namespace

int run_restore(const GlobalOptions& options, const RestoreArgs& args) {
    util::InterruptGuard interrupts;
    if (args.in_place && args.into) {
        throw Error(ExitCode::usage, "give --in-place or --into, not both");
    }

    // 1. The config, the catalog and the target.
    core::Config config = load_config(options);
    backup::Catalog catalog =
        backup::read_catalog(args.dir ? std::filesystem::absolute(*args.dir) : config.backup.dir);
    core::Target target = resolve_target(options, config);
    auto control = connect_target(target, config, "lock");
    db::refuse_standby(*control);
    core::TargetIdentity id = db::read_identity(*control);

    // 2. Which backup: --latest is the newest usable one of this very database.
    backup::CatalogEntry entry = choose_backup(catalog, args, id);
    backup::Manifest m = *entry.manifest;
    bool other_source =
        m.source.database != id.database || m.source.system_identifier != id.system_identifier;

    // 3. Verify it before touching anything.
    backup::VerifyResult verified =
        backup::verify_backup(entry.dir, m, false, config.backup.pg_bin_dir);
    backup::record_verification(entry.dir, m, verified);
    if (!verified.ok) {
        throw Error(ExitCode::backup_failed,
                    "backup " + m.id + " failed verification; nothing was restored:\n  " +
                        util::join(verified.problems, "\n  "),
                    "Choose another backup with --id (see 'safe-migrate backup list').");
    }

    // 4. Say exactly what will happen, and require the name where it matters.
    backup::RestoreMode mode = args.in_place ? backup::RestoreMode::in_place
                               : args.into   ? backup::RestoreMode::into
                                             : backup::RestoreMode::swap;
    // With --format json stdout holds the result document only; this goes to stderr.
    auto tell = [&](const std::string& line) {
        if (options.format == Format::json) {
            core::log_info(line);
        } else {
            say(options, line);
        }
    };
    tell("backup   " + m.id + " (finished " + m.finished_at + ", migration head " +
         (m.migration_head ? std::to_string(*m.migration_head) : "none") + ", " +
         std::to_string(m.tables.size()) + " tables, from " + m.source.database + " system " +
         m.source.system_identifier + ")");
    tell("target   " + id.host + ":" + id.port + " database " + id.database +
         " (system identifier " + id.system_identifier + ")" +
         (mode == backup::RestoreMode::into       ? ", restoring into new database " + *args.into
          : mode == backup::RestoreMode::in_place ? ", in place"
                                                  : ", via a new database and a swap"));
    int tables = backup::user_table_count(*control);
    std::vector<std::string> reasons;
    if (config.is_protected()) {
        reasons.push_back("environment " + config.environment.value_or("") + " is protected");
    }
    if (mode != backup::RestoreMode::into && tables > 0) {
        reasons.push_back("the target holds " + std::to_string(tables) + " tables");
    }
    if (other_source) {
        reasons.push_back("the backup comes from another database (" + m.source.database + ")");
    }
    if (!reasons.empty() && args.confirm != id.database) {
        throw Error(
            ExitCode::refused,
            "restore refused: " + util::join(reasons, "; ") +
                (args.confirm
                     ? " and --confirm names '" + *args.confirm + "', not '" + id.database + "'"
                     : ""),
            "Nothing was changed. Re-run with --confirm " + id.database + " to restore over it.");
    }

    // 5. Hold the migration lock throughout, then restore.
    db::AdvisoryLock lock(
        *control, duration_flag(args.lock_wait, "--lock-wait", config.execute.lock_wait));
    backup::RestoreRequest request;
    request.backup_dir = entry.dir;
    request.manifest = m;
    request.mode = mode;
    request.into = args.into.value_or("");
    request.conninfo = target.conninfo;
    request.application_name = config.application_name;
    request.settings = config.backup;
    request.settings.dir = catalog.root;
    if (args.jobs) {
        request.settings.jobs = *args.jobs;
    }
    request.control = control.get();
    request.force = args.force;
    request.safety_backup = config.backup.safety_backup && !args.no_safety_backup;
    request.quiet = options.quiet || options.format == Format::json;
    notify::Notifier notifier(config, core::new_run_id());
    auto restore_event = [&](const std::string& type, const std::string& status) {
        notify::Event e = notifier.event(type, status);
        e.target = notify::event_target(id);
        e.version_to = m.migration_head;
        e.backup = notify::EventBackup{m.id, m.total_bytes, true};
        return e;
    };
    notifier.send(restore_event("restore.started", "started"));
    backup::RestoreResult result;
    try {
        result = backup::restore_backup(request);
    } catch (const Error& e) {
        notify::Event failed = restore_event("restore.failed", "failed");
        failed.error = notify::event_error(e.code(), e.what());
        notifier.send(failed);
        throw;
    }
    notify::Event completed = restore_event("restore.completed", "completed");
    completed.duration_ms = result.took.count();
    notifier.send(completed);

    // 6. Report.
    if (options.format == Format::json) {
        std::printf(
            "%s\n",
            json({{"result", "ok"},
                  {"backup", m.id},
                  {"database", result.database},
                  {"previous_database", result.previous_database},
                  {"safety_backup", result.safety_id ? json(*result.safety_id) : json(nullptr)},
                  {"terminated_sessions", result.terminated},
                  {"extra_tables", result.extra_tables},
                  {"duration_ms", result.took.count()}})
                .dump(2)
                .c_str());
        return 0;
    }
    if (result.safety_id) {
        say(options, "safety backup of the target: " + *result.safety_id);
    }
    for (const auto& t : result.terminated) {
        say(options, "terminated " + t + " (--force)");
    }
    say(options, "restored " + m.id + " into " + result.database + " in " +
                     util::format_duration(result.took) + "; table list and row counts match");
    if (!result.previous_database.empty()) {
        say(options, "the previous database is kept as " + result.previous_database +
                         " (drop it once you are sure)");
    }
    for (const auto& t : result.extra_tables) {
        core::log_warn("table " + t + " is not in the backup and was left as it is (in place)");
    }
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
         },
            [args](const GlobalOptions& g) { return run_restore(g, *args); },
            false};
}

}  // namespace sm::cli
