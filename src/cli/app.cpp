#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

// What a command needs before it can run; commands that need no database
// never connect.
enum class Needs { nothing, config, database };

struct CommandArgs {
    LintArgs lint;
    PlanArgs plan;
    ExecuteArgs execute;
    RollbackArgs rollback;
    SandboxArgs sandbox;
    ValidateArgs validate;
    SchemaArgs schema;
    BackupArgs backup;
    RestoreArgs restore;
    NotifyArgs notify;
    SeedArgs seed;
    ResetArgs reset;
};

struct Command {
    const char* name;
    const char* summary;
    Needs needs;
    // Declares the command's own options on its subcommand.
    std::function<void(CLI::App&, CommandArgs&)> declare;
    std::function<int(const GlobalOptions&, const CommandArgs&)> run;
    // The command declares its own --format (more than text and json).
    bool own_format = false;
};

void add_format(CLI::App& sub, GlobalOptions& g) {
    sub.add_option("--format", g.format, "Output format: text or json")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, Format>{{"text", Format::text}, {"json", Format::json}}));
}

const std::vector<Command>& command_table() {
    static const std::vector<Command> table = {
        {"status", "Show applied, pending, changed, missing and partial migrations",
         Needs::database, [](CLI::App&, CommandArgs&) {},
         [](const GlobalOptions& g, const CommandArgs&) { return run_status(g); }, false},
        {"lint", "Check migrations for destructive and lock-heavy statements (no database)",
         Needs::config,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("paths", a.lint.paths,
                            "Files or directories (default: the migrations directory)");
             sub.add_option("--policy", a.lint.policy, "Policy: default, strict, or a .toml file");
             sub.add_option("--format", a.lint.format, "text, json, sarif or github")
                 ->check(CLI::IsMember({"text", "json", "sarif", "github"}));
             sub.add_option("--jobs", a.lint.jobs, "Threads (default: one per core)");
             sub.add_flag("--list-rules", a.lint.list_rules, "Print the rule catalog and exit");
             sub.add_flag("--include-down", a.lint.include_down,
                          "Also lint down migrations found in directories");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_lint(g, a.lint); }, true},
        {"plan", "Show what execute would do (locks, table sizes, findings) and write the artifact",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("--policy", a.plan.policy, "Policy: default, strict, or a .toml file");
             sub.add_option("--out", a.plan.out,
                            "Write the plan artifact (JSON) that execute --plan checks");
             sub.add_flag("--trace", a.plan.trace,
                          "Apply the migrations to a throwaway copy of the schema and observe "
                          "locks and rewrites");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_plan(g, a.plan); }, false},
        {"execute", "Apply pending migrations safely (lock, timeouts, retries, history)",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("--plan", a.execute.plan,
                            "Apply exactly this reviewed plan artifact, or refuse");
             sub.add_option("--target", a.execute.target, "Apply up to and including this version");
             sub.add_option("--lock-wait", a.execute.lock_wait,
                            "How long to wait for another runner's migration lock (e.g. 2min)");
             sub.add_option("--lock-timeout", a.execute.lock_timeout,
                            "lock_timeout per migration (e.g. 3s)");
             sub.add_option("--lock-retries", a.execute.lock_retries,
                            "Retries after a lock timeout");
             sub.add_option(
                 "--accept-changed", a.execute.accept_changed,
                 "Accept the changed file of this applied version (recorded as an event)");
             sub.add_flag("--allow-out-of-order", a.execute.allow_out_of_order,
                          "Apply pending migrations older than the newest applied one");
             sub.add_flag("--backup", a.execute.backup,
                          "Take and verify a pre-deploy backup first (always on protected "
                          "environments)");
             sub.add_flag("--skip-backup", a.execute.skip_backup,
                          "Skip the pre-deploy backup of a protected environment (needs --reason)");
             sub.add_option("--reason", a.execute.reason, "Why the backup is skipped (recorded)");
             sub.add_option("--on-failure", a.execute.on_failure,
                            "After a failure: rollback (down files, then the backup), restore "
                            "(the pre-deploy backup) or stop")
                 ->check(CLI::IsMember({"rollback", "restore", "stop"}));
             sub.add_option("--wait-for-blockers", a.execute.wait_for_blockers,
                            "How long to wait for sessions blocking a migration's tables "
                            "(e.g. 30s)");
             sub.add_option("--blocker-age", a.execute.blocker_age,
                            "A transaction or query older than this on a touched table is a "
                            "blocker (e.g. 1s)");
             sub.add_flag("--terminate-blockers", a.execute.terminate_blockers,
                          "Terminate blockers still there after the wait (protected "
                          "environments: only if their config allows it)");
             sub.add_option("--max-replica-lag", a.execute.max_replica_lag,
                            "Refuse while a physical replica replays further behind (e.g. 30s)");
             sub.add_option("--max-duration", a.execute.max_duration,
                            "Stop and roll back when the run takes longer (checked between "
                            "migrations)");
             sub.add_flag("--dry-run", a.execute.dry_run,
                          "Plan, preflight and say what would be backed up; change nothing "
                          "(exit 0: the run would proceed)");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_execute(g, a.execute); },
         false},
        {"rollback", "Revert applied migrations with their down files, newest first",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("--steps", a.rollback.steps,
                            "How many migrations to revert (default 1)");
             sub.add_option("--to", a.rollback.to, "Revert everything newer than this version");
             sub.add_option("--lock-wait", a.rollback.lock_wait,
                            "How long to wait for the migration lock");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_rollback(g, a.rollback); },
         false},
        {"backup", "Take, list, verify, pin and prune backups (pg_dump with a verified catalog)",
         Needs::config,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("action", a.backup.action, "create, list, verify, prune, pin or unpin")
                 ->required()
                 ->check(CLI::IsMember({"create", "list", "verify", "prune", "pin", "unpin"}));
             sub.add_option("id", a.backup.id, "Backup id (verify, pin, unpin)");
             sub.add_option("--label", a.backup.label, "create: a label, part of the id");
             sub.add_option("--archive-format", a.backup.archive_format,
                            "create: directory (parallel, default) or custom")
                 ->check(CLI::IsMember({"directory", "custom"}));
             sub.add_option("--jobs", a.backup.jobs, "create: pg_dump -j (default: cores)")
                 ->check(CLI::Range(1, 64));
             sub.add_option("--backup-dir", a.backup.dir,
                            "The catalog (default [backup] dir, else ./backups)");
             sub.add_option("--lock-wait", a.backup.lock_wait,
                            "create: how long to wait for the migration lock");
             sub.add_flag("--latest", a.backup.latest, "verify: the newest backup");
             sub.add_flag("--full", a.backup.full, "verify: also read the whole archive");
             sub.add_flag("--restore-test", a.backup.restore_test,
                          "verify: also restore into a scratch database on the target's server "
                          "and compare tables and row counts");
             sub.add_flag("--dry-run", a.backup.dry_run, "prune: show what would be deleted");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_backup(g, a.backup); },
         false},
        {"restore", "Restore a verified backup (into a new database, then swap names)",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_flag("--latest", a.restore.latest,
                          "The newest complete backup of this database");
             sub.add_option("--id", a.restore.id, "The backup to restore");
             sub.add_option("--into", a.restore.into,
                            "Restore into this new database and leave the target alone");
             sub.add_option("--confirm", a.restore.confirm,
                            "The target database's name (needed when protected or not empty)");
             sub.add_flag("--in-place", a.restore.in_place,
                          "Restore over the target in one transaction (--clean --if-exists)");
             sub.add_flag("--force", a.restore.force,
                          "Terminate other sessions connected to the target");
             sub.add_flag("--no-safety-backup", a.restore.no_safety_backup,
                          "Skip the backup of the target taken before restoring");
             sub.add_option("--jobs", a.restore.jobs, "pg_restore -j (default: cores)")
                 ->check(CLI::Range(1, 64));
             sub.add_option("--backup-dir", a.restore.dir,
                            "The catalog (default [backup] dir, else ./backups)");
             sub.add_option("--lock-wait", a.restore.lock_wait,
                            "How long to wait for the migration lock");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_restore(g, a.restore); },
         false},
        {"notify", "Send a test event to every endpoint, or resend the spooled ones", Needs::config,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("action", a.notify.action, "test or flush")
                 ->required()
                 ->check(CLI::IsMember({"test", "flush"}));
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_notify(g, a.notify); },
         false},
        {"seed", "Run, list, roll back or clear the seeds of an environment (--env)",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("action", a.seed.action, "run, status, rollback or clear")
                 ->required()
                 ->check(CLI::IsMember({"run", "status", "rollback", "clear"}));
             sub.add_option("--id", a.seed.id,
                            "rollback: the seed (its file stem, e.g. 010_users)");
             sub.add_option("--scale", a.seed.scale,
                            "run: multiply the seeds' row counts (default [seed] scale, else 1)")
                 ->check(CLI::Range(1, 100000));
             sub.add_flag("--confirm", a.seed.confirm,
                          "clear: roll back every applied seed of the environment");
             sub.add_option("--lock-wait", a.seed.lock_wait,
                            "How long to wait for the migration lock");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_seed(g, a.seed); }, false},
        {"reset", "Drop the project's schemas, re-apply every migration and re-seed (development)",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_flag("--confirm", a.reset.confirm,
                          "Required: everything in the project's schemas is dropped");
             sub.add_option("--scale", a.reset.scale, "Seed scale (default [seed] scale, else 1)")
                 ->check(CLI::Range(1, 100000));
             sub.add_option("--lock-wait", a.reset.lock_wait,
                            "How long to wait for the migration lock");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_reset(g, a.reset); }, false},
        {"sandbox", "Start, stop or locate a throwaway PostgreSQL cluster", Needs::nothing,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("action", a.sandbox.action, "start, stop, status or url")
                 ->required()
                 ->check(CLI::IsMember({"start", "stop", "status", "url"}));
             sub.add_option(
                 "--state", a.sandbox.state_file,
                 "State file (default .safe-migrate/sandbox.json or $SAFE_MIGRATE_SANDBOX_STATE)");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_sandbox(g, a.sandbox); },
         false},
        {"validate",
         "Check history against files and the live schema against the migrations (drift)",
         Needs::database,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("--snapshot", a.validate.snapshot,
                            "Expected schema from this snapshot (schema dump) instead of applying "
                            "the migrations to a throwaway database")
                 ->check(CLI::ExistingFile);
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_validate(g, a.validate); },
         false},
        {"schema", "Dump the normalised schema the migrations produce, as a snapshot file",
         Needs::config,
         [](CLI::App& sub, CommandArgs& a) {
             sub.add_option("action", a.schema.action, "dump")
                 ->required()
                 ->check(CLI::IsMember({"dump"}));
             sub.add_option("--out", a.schema.out, "Write the snapshot here (default stdout)");
             sub.add_flag("--from-target", a.schema.from_target,
                          "Read the live target's schema instead of applying every migration "
                          "file to a throwaway database");
         },
         [](const GlobalOptions& g, const CommandArgs& a) { return run_schema(g, a.schema); },
         false},
    };
    return table;
}

// "did you mean" for a mistyped command name.
std::string suggest_command(const std::string& word) {
    std::string best;
    size_t best_distance = 3;
    for (const auto& c : command_table()) {
        size_t d = util::edit_distance(word, c.name);
        if (d < best_distance) {
            best_distance = d;
            best = c.name;
        }
    }
    return best;
}

void print_error(const GlobalOptions& g, ExitCode code, const std::string& message,
                 const std::string& hint) {
    std::string text = core::redact_text(message);
    std::string hint_text = core::redact_text(hint);
    std::fprintf(stderr, "safe-migrate: error: %s\n", text.c_str());
    if (!hint_text.empty()) {
        std::fprintf(stderr, "hint: %s\n", hint_text.c_str());
    }
    if (g.format == Format::json) {
        nlohmann::json out = {{"result", "error"},
                              {"error",
                               {{"code", exit_code_name(code)},
                                {"exit_code", static_cast<int>(code)},
                                {"message", text},
                                {"hint", hint_text}}}};
        std::printf("%s\n", out.dump(2).c_str());
    }
}

}  // namespace

int run(int argc, char** argv) {
    GlobalOptions g;
    CommandArgs args;
    CLI::App app{"safe-migrate: production-safe PostgreSQL schema migrations", "safe-migrate"};
    app.set_version_flag("--version", core::tool_version());
    app.require_subcommand(1);
    app.footer(
        "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 policy, 5 database unreachable,\n"
        "6 lock busy, 7 backup failed, 8 refused, 10 pending, 11 drift, 130 interrupted.");
    app.add_option("--config", g.config, "Project file (default ./safe-migrate.toml)");
    app.add_option("--env", g.env, "Environment from [environments.NAME] in the config");
    app.add_option("--database-url", g.database_url,
                   "Target database (else DATABASE_URL, the config, or libpq's PG* variables)");
    app.add_option("--migrations-dir", g.migrations_dir,
                   "Migrations directory (overrides the config)");
    app.add_flag("-v,--verbose", g.verbose, "Log debug detail to stderr");
    app.add_flag("-q,--quiet", g.quiet, "Print only errors");

    const Command* chosen = nullptr;
    for (const auto& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        sub->fallthrough();
        command.declare(*sub, args);
        if (!command.own_format) {
            add_format(*sub, g);
        }
        sub->callback([&chosen, &command] { chosen = &command; });
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        std::string hint;
        static const std::set<std::string> k_value_options = {"--config", "--env", "--database-url",
                                                              "--migrations-dir"};
        for (int i = 1; i < argc; ++i) {
            std::string word = argv[i];
            if (k_value_options.count(word) != 0) {
                ++i;  // its value is not a command name
                continue;
            }
            if (!word.empty() && word[0] != '-') {
                bool known = false;
                for (const auto& c : command_table()) {
                    known = known || word == c.name;
                }
                if (!known) {
                    std::string guess = suggest_command(word);
                    message = "unknown command '" + word + "'";
                    hint = guess.empty() ? "Run 'safe-migrate --help' for the list of commands."
                                         : "Did you mean '" + guess + "'?";
                }
                break;
            }
        }
        print_error(g, ExitCode::usage, util::to_lower(message.substr(0, 1)) + message.substr(1),
                    hint);
        return static_cast<int>(ExitCode::usage);
    }

    core::init_logging(g.verbose ? core::LogLevel::debug
                       : g.quiet ? core::LogLevel::warn
                                 : core::LogLevel::info);
    try {
        return chosen->run(g, args);
    } catch (const Error& e) {
        print_error(g, e.code(), e.what(), e.hint());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        print_error(g, ExitCode::failure, std::string("unexpected: ") + e.what(), "");
        return static_cast<int>(ExitCode::failure);
    }
}

}  // namespace sm::cli
