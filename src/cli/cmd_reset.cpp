// safe-migrate reset: a development database from scratch. Drops the schemas
// the project manages, re-applies every migration and re-seeds, all under one
// hold of the migration lock. Never on a protected environment, nor on a
// database recorded as protected.
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/identity.hpp"
#include "executor/advisory_lock.hpp"
#include "executor/apply.hpp"
#include "executor/history.hpp"
#include "executor/target_info.hpp"
#include "executor/transaction.hpp"
#include "seed/protected_target.hpp"
#include "seed/seed_history.hpp"
#include "seed/seed_run.hpp"
#include "seed/seed_source.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::cli {
namespace {

// The schemas the project's migrations create objects in: public, the
// safe_migrate schema, every schema a migration creates, and the schema of
// every relation a migration locks.
std::set<std::string> managed_schemas(const Project& project) {
    static const std::regex k_create_schema(
        R"(\bcreate\s+schema\s+(?:if\s+not\s+exists\s+)?(\"?)([a-z_][a-z0-9_$]*)\1)",
        std::regex::icase);
    std::set<std::string> schemas = {"public", "safe_migrate"};
    for (const auto& [version, script] : project.up) {
        for (const auto& s : script.statements) {
            std::smatch m;
            if (std::regex_search(s.sql, m, k_create_schema)) {
                schemas.insert(m[1].matched && !m[1].str().empty() ? m[2].str()
                                                                   : util::to_lower(m[2].str()));
            }
            for (const auto& t : s.tables) {
                auto dot = t.find('.');
                if (dot != std::string::npos) {
                    schemas.insert(t.substr(0, dot));
                }
            }
        }
    }
    for (auto it = schemas.begin(); it != schemas.end();) {
        bool system = util::starts_with(*it, "pg_") || *it == "information_schema";
        it = system ? schemas.erase(it) : std::next(it);
    }
    return schemas;
}

// Drops schemas (those that exist) in one transaction and recreates public
// with its owner, comment and privileges as they were.
std::vector<std::string> drop_schemas(executor::Session& session,
                                      const std::set<std::string>& schemas) {
    std::vector<std::string> existing;
    for (const auto& name : schemas) {
        if (session.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", {name}).empty()) {
            continue;
        }
        existing.push_back(name);
    }
    auto owner = session.exec(
        "SELECT quote_ident(pg_get_userbyid(nspowner)), "
        "coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
        "WHERE nspname = 'public'");
    auto grants = session.exec(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
        "END, a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a "
        "WHERE n.nspname = 'public'");

    std::string sql = "BEGIN; SET LOCAL lock_timeout = '10s';";
    if (!existing.empty()) {
        std::vector<std::string> quoted;
        for (const auto& name : existing) {
            quoted.push_back(*session.exec_params("SELECT quote_ident($1)", {name}).scalar());
        }
        sql += " DROP SCHEMA " + util::join(quoted, ", ") + " CASCADE;";
    }
    sql += " CREATE SCHEMA public";
    if (!owner.empty()) {
        sql += " AUTHORIZATION " + owner.rows[0][0].value_or("CURRENT_USER") + ";";
        sql += " COMMENT ON SCHEMA public IS " +
               executor::quote_literal(owner.rows[0][1].value_or("")) + ";";
    } else {
        sql += ";";
    }
    for (const auto& row : grants.rows) {
        sql += " GRANT " + row[1].value_or("USAGE") + " ON SCHEMA public TO " +
               row[0].value_or("PUBLIC") + ";";
    }
    sql += " COMMIT";
    try {
        session.exec(sql);
    } catch (...) {
        executor::rollback_quietly(session);
        throw;
    }
    return existing;
}

}  // namespace

int run_reset(const GlobalOptions& options, const ResetArgs& args) {
    util::InterruptGuard interrupts;

    // 1. Refuse a protected environment whatever the flags; insist on --env and --confirm.
    if (!options.env) {
        throw Error(ExitCode::usage, "reset needs --env",
                    "Name the development environment to reset.");
    }
    Project project = load_project(options);
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

    // 2. Connect, refuse a standby, take the migration lock, and refuse a
    //    database recorded as protected.
    core::Target target = resolve_target(options, project.config);
    auto control = connect_target(target, project.config, "lock");
    auto session = connect_target(target, project.config);
    executor::prepare_migration_session(*session);
    executor::refuse_standby(*control);
    executor::AdvisoryLock lock(
        *control, duration_flag(args.lock_wait, "--lock-wait", project.config.execute.lock_wait));
    if (auto match = seed::protected_match(*control)) {
        throw Error(ExitCode::refused,
                    "reset refused: the target is recorded as protected (" + *match + ")",
                    "Nothing was changed. safe-migrate ran against this database as a protected "
                    "environment before. Check --database-url and --env.");
    }
    // Progress is text; with --format json only the result is printed.
    auto progress = [&options](const std::string& line) {
        if (options.format == Format::text) {
            say(options, line);
        }
    };
    progress("target: " + control->display_name() + " (environment '" + *options.env + "')");

    // 3. Drop the project's schemas and recreate public.
    auto dropped = drop_schemas(*control, managed_schemas(project));
    progress("dropped schemas: " + (dropped.empty() ? "(none)" : util::join(dropped, ", ")));

    // 4. Re-apply every migration, each as execute applies it.
    executor::ensure_history_schema(*control);
    executor::RunContext ctx{*session, *control, core::new_run_id(), core::actor(),
                             project.config.execute};
    executor::record_event(*control, {ctx.run_id, "reset.started", std::nullopt,
                                      "schemas dropped: " + util::join(dropped, ", ")});
    for (const auto& m : project.migrations.migrations) {
        progress("applying " + m.id());
        auto took = executor::apply_migration(ctx, m, project.up.at(m.version), std::nullopt);
        progress("  done in " + util::format_duration(took));
    }

    // 5. Re-seed the environment.
    seed::ensure_seed_schema(*control);
    seed::SeedContext seeding{*session,
                              *control,
                              ctx.run_id,
                              ctx.actor,
                              project.config.execute,
                              *options.env,
                              false,
                              args.scale.value_or(project.config.seed.scale),
                              progress};
    int seeded = seed::run_seeds(seeding, seeds);
    std::string summary = std::to_string(project.migrations.migrations.size()) +
                          " migration(s) applied, " + std::to_string(seeded) + " seed(s) run";
    executor::record_event(*control, {ctx.run_id, "reset.finished", std::nullopt, summary});
    if (options.format == Format::json) {
        nlohmann::json out = {{"result", "ok"},
                              {"environment", *options.env},
                              {"dropped_schemas", dropped},
                              {"migrations_applied", project.migrations.migrations.size()},
                              {"seeds_run", seeded}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        say(options, "reset finished: " + summary);
    }
    return 0;
}

}  // namespace sm::cli
