// safe-migrate backup: create, list, verify, prune, pin and unpin backups.
#include <nlohmann/json.hpp>

#include "backup/catalog.hpp"
#include "backup/remote_catalog.hpp"
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "deploy/backup.hpp"
#include "deploy/backup_admin.hpp"
#include "deploy/json_views.hpp"
#include "deploy/text_views.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {

struct BackupArgs {
    std::string action;             // create, list, verify, prune, pin, unpin
    std::optional<std::string> id;  // verify, pin, unpin
    std::optional<std::string> label;
    std::optional<std::string> archive_format;  // directory, custom
    std::optional<int> jobs;
    std::optional<std::filesystem::path> dir;
    std::optional<std::string> lock_wait;
    bool latest = false;
    bool full = false;
    bool restore_test = false;
    bool dry_run = false;
    bool pre_restore = false;            // prune: the target's <db>_pre_restore_* databases
    std::optional<std::string> confirm;  // prune --pre-restore: the target's database name
};

namespace {

namespace fs = std::filesystem;

// [backup], with --backup-dir naming a local catalog instead.
core::BackupSettings catalog_settings(const core::Config& config,
                                      const std::optional<fs::path>& flag) {
    core::BackupSettings s = config.backup;
    if (flag) {
        s.dir = fs::absolute(*flag);
        s.storage = "local";
    }
    return s;
}

int create(const GlobalOptions& options, const BackupArgs& args) {
    util::InterruptGuard interrupts;
    // 1. Settings: the config, then flags.
    core::Config config = load_config(options);
    deploy::BackupRequest request;
    request.settings = catalog_settings(config, args.dir);
    if (args.archive_format) {
        request.settings.format = *args.archive_format;
    }
    if (args.jobs) {
        request.settings.jobs = *args.jobs;
    }
    request.label = args.label.value_or("");
    request.lock_wait = duration_flag(args.lock_wait, "--lock-wait", config.execute.lock_wait);
    request.quiet = options.quiet || options.format == Format::json;
    request.target = resolve_target(options, config);
    request.io = deploy::real_boundaries(request.target, config);
    request.config = std::move(config);

    // 2. Take it (under the migration lock) and tell the team; then report.
    backup::Manifest m = deploy::create_backup(request);
    if (options.format == Format::json) {
        print_document(deploy::backup_created_json(
            {fs::path(backup::backup_location(request.settings, m.id)), m, ""}));
    } else {
        say(options, "backup " + m.id + " complete: " + std::to_string(m.files.size()) +
                         " files, " + util::human_bytes(m.total_bytes) + ", " +
                         std::to_string(m.tables.size()) + " tables, in " +
                         util::format_duration(std::chrono::milliseconds(m.duration_ms)));
        say(options, "  " + backup::backup_location(request.settings, m.id));
    }
    return 0;
}

int list(const GlobalOptions& options, const BackupArgs& args) {
    core::Config config = load_config(options);
    backup::Catalog catalog = backup::open_catalog(catalog_settings(config, args.dir));
    deploy::PreRestoreShown pre = deploy::show_pre_restore(resolve_target(options, config), config);
    if (options.format == Format::json) {
        print_document(deploy::catalog_json(catalog, pre));
        return 0;
    }
    deploy::TextTable backups = deploy::catalog_table(catalog);
    say(options, "catalog " + catalog.root.string());
    if (backups.rows.empty()) {
        say(options, "no backups");
    } else {
        say_table(options, backups.header, backups.rows);
    }
    for (const auto& l : catalog.leftovers) {
        say(options, "leftover work directory (an interrupted backup; not usable): " + l.string());
    }
    for (const auto& line : deploy::pre_restore_note(pre)) {
        say(options, line);
    }
    if (!pre.databases.empty() && !pre.error) {
        deploy::TextTable kept = deploy::pre_restore_table(pre);
        say_table(options, kept.header, kept.rows);
    }
    return 0;
}

int verify(const GlobalOptions& options, const BackupArgs& args) {
    util::InterruptGuard interrupts;  // the restore test restores into a scratch database
    core::Config config = load_config(options);
    if (args.latest == args.id.has_value()) {
        throw Error(ExitCode::usage, "give a backup id or --latest");
    }
    deploy::VerifyRequest request;
    request.settings = catalog_settings(config, args.dir);
    request.target = resolve_target(options, config);
    request.id = args.id;
    request.full = args.full;
    request.restore_test = args.restore_test;
    request.quiet = options.quiet || options.format == Format::json;
    request.config = std::move(config);
    deploy::VerifyOutcome out = deploy::verify_catalog_backup(request);
    const backup::VerifyResult& r = out.result;
    // A failure is the error document (below); with --format json, success is this one.
    if (options.format == Format::json && r.ok) {
        print_document(deploy::verified_json(r));
    }
    if (!r.ok) {
        std::string list;
        for (const auto& p : r.problems) {
            list += "\n  " + p;
        }
        throw Error(ExitCode::backup_failed, "backup " + r.id + " failed verification:" + list,
                    "Do not restore from it; it is now marked failed. Take a new backup.");
    }
    if (options.format != Format::json) {
        say(options, "backup " + r.id + " verified (" + r.how + "): " + std::to_string(out.files) +
                         " files match the manifest");
    }
    return 0;
}

int prune(const GlobalOptions& options, const BackupArgs& args) {
    core::Config config = load_config(options);
    deploy::PruneRequest request;
    request.settings = catalog_settings(config, args.dir);
    request.target = resolve_target(options, config);
    request.pre_restore_only = args.pre_restore;
    request.confirm = args.confirm;
    request.dry_run = args.dry_run;
    request.config = std::move(config);
    deploy::PruneOutcome outcome = deploy::prune_backups(request);
    if (options.format == Format::json) {
        print_document(deploy::prune_json(outcome));
        return 0;
    }
    for (const auto& line : deploy::prune_lines(outcome)) {
        say(options, line);
    }
    return 0;
}

int pin(const GlobalOptions& options, const BackupArgs& args, bool pinned) {
    if (!args.id) {
        throw Error(ExitCode::usage, "give the backup id to " + args.action);
    }
    core::Config config = load_config(options);
    backup::Manifest m = deploy::pin_backup(catalog_settings(config, args.dir), *args.id, pinned);
    if (options.format == Format::json) {
        print_ok({{"id", m.id}, {"pinned", pinned}});
    } else {
        say(options, "backup " + m.id + (pinned ? " pinned: prune keeps it" : " unpinned"));
    }
    return 0;
}

}  // namespace

int run_backup(const GlobalOptions& options, const BackupArgs& args) {
    if (args.action == "create") {
        return create(options, args);
    }
    if (args.action == "list") {
        return list(options, args);
    }
    if (args.action == "verify") {
        return verify(options, args);
    }
    if (args.action == "prune") {
        return prune(options, args);
    }
    return pin(options, args, args.action == "pin");
}

Command backup_command() {
    auto args = std::make_shared<BackupArgs>();
    return {"backup", "Take, list, verify, pin and prune backups (pg_dump with a verified catalog)",
            [args](CLI::App& sub) {
                sub.add_option("action", args->action, "create, list, verify, prune, pin or unpin")
                    ->required()
                    ->check(one_of("backup action",
                                   {"create", "list", "verify", "prune", "pin", "unpin"}));
                sub.add_option("id", args->id, "Backup id (verify, pin, unpin)");
                sub.add_option("--label", args->label, "create: a label, part of the id");
                sub.add_option("--archive-format", args->archive_format,
                               "create: directory (parallel, default) or custom")
                    ->check(one_of("--archive-format", {"directory", "custom"}));
                sub.add_option("--jobs", args->jobs, "create: pg_dump -j (default: cores)")
                    ->check(CLI::Range(1, 64));
                sub.add_option("--backup-dir", args->dir,
                               "The catalog (default [backup] dir, else ./backups)");
                sub.add_option("--lock-wait", args->lock_wait,
                               "create: how long to wait for the migration lock");
                sub.add_flag("--latest", args->latest, "verify: the newest backup");
                sub.add_flag("--full", args->full, "verify: also read the whole archive");
                sub.add_flag("--restore-test", args->restore_test,
                             "verify: also restore into a scratch database on the target's server "
                             "and compare tables and row counts");
                sub.add_flag("--dry-run", args->dry_run, "prune: show what would be deleted");
                sub.add_flag("--pre-restore", args->pre_restore,
                             "prune: drop the target's <db>_pre_restore_* databases");
                sub.add_option("--confirm", args->confirm,
                               "prune --pre-restore: the target database's name");
            },
            [args](const GlobalOptions& g) { return run_backup(g, *args); }, false};
}

}  // namespace sm::cli
