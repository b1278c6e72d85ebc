#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "core/log.hpp"
#include "deploy/about.hpp"
#include "docs/tool_doc.hpp"
#include "util/detached.hpp"
#include "util/error.hpp"

namespace sm::cli {
namespace {

constexpr const char* k_description = "safe-migrate: production-safe PostgreSQL schema migrations";

void add_format(CLI::App& sub, std::string& format) {
    sub.add_option("--format", format, "Output format: text or json")
        ->check(one_of("--format", {"text", "json"}));
}

}  // namespace

std::vector<std::string> command_names() {
    std::vector<std::string> names;
    for (const auto& c : command_table()) {
        names.emplace_back(c.name);
    }
    return names;
}

const std::vector<Command>& command_table() {
    static const std::vector<Command> table = {
        init_command(),    new_command(),      status_command(),   lint_command(),
        plan_command(),    execute_command(),  rollback_command(), backup_command(),
        restore_command(), notify_command(),   seed_command(),     reset_command(),
        sandbox_command(), validate_command(), check_command(),    schema_command(),
        adopt_command(),   backfill_command(), rewrite_command(),
    };
    return table;
}

void declare_app(CLI::App& app, GlobalOptions& g, const Command*& chosen) {
    app.name("safe-migrate");
    app.description(k_description);
    app.set_version_flag("-V,--version", deploy::version_text());
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
    app.add_option("--layout", g.layout,
                   "Another tool's migration layout: flyway, dbmate, golang-migrate, goose, "
                   "diesel or prisma (default: the config's layout, else native)");
    app.add_flag("-v,--verbose", g.verbose, "Log debug detail to stderr");
    app.add_flag("-q,--quiet", g.quiet, "Print only errors");

    for (const auto& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        sub->fallthrough();
        command.declare(*sub);
        if (!command.own_format) {
            add_format(*sub, g.format_name);
        }
        // The exit codes it inherited, then its examples: its --help ends with them.
        sub->footer(app.get_footer() + "\n\n" + docs::examples_text(command.name));
        sub->callback([&chosen, &command] { chosen = &command; });
    }
}

int run(int argc, char** argv) {
    GlobalOptions g;
    CLI::App app;
    const Command* chosen = nullptr;
    declare_app(app, g, chosen);

    try {
        app.parse(argc, argv);
        g.format = g.format_name == "json" ? Format::json : Format::text;
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        g.format = g.format_name == "json" ? Format::json : Format::text;
        Usage usage = explain_parse_error(app, e, argc, argv);
        print_error(g, ExitCode::usage, usage.message, usage.hint);
        return static_cast<int>(ExitCode::usage);
    } catch (const Error& e) {  // a value one_of refused
        print_error(g, e.code(), e.what(), e.hint());
        return static_cast<int>(e.code());
    }

    core::init_logging(g.verbose ? core::LogLevel::debug
                       : g.quiet ? core::LogLevel::warn
                                 : core::LogLevel::info);
    // Ended through end_process: a connection attempt given up may still run.
    try {
        return util::end_process(chosen->run(g));
    } catch (const Error& e) {
        print_error(g, e.code(), e.what(), e.hint());
        return util::end_process(static_cast<int>(e.code()));
    } catch (const std::exception& e) {
        print_error(g, ExitCode::failure, std::string("unexpected: ") + e.what(), "");
        return util::end_process(static_cast<int>(ExitCode::failure));
    }
}

}  // namespace sm::cli
