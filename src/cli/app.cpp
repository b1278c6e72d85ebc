#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <set>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

void add_format(CLI::App& sub, GlobalOptions& g) {
    sub.add_option("--format", g.format, "Output format: text or json")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, Format>{{"text", Format::text}, {"json", Format::json}}));
}

// The commands, in the order --help lists them.
const std::vector<Command>& command_table() {
    static const std::vector<Command> table = {
        status_command(),   lint_command(),   plan_command(),    execute_command(),
        rollback_command(), backup_command(), restore_command(), notify_command(),
        seed_command(),     reset_command(),  sandbox_command(), validate_command(),
        schema_command(),   adopt_command(),
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

}  // namespace

int run(int argc, char** argv) {
    GlobalOptions g;
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
    app.add_option("--layout", g.layout,
                   "Another tool's migration layout: flyway, dbmate, golang-migrate, goose, "
                   "diesel or prisma (default: the config's layout, else native)");
    app.add_flag("-v,--verbose", g.verbose, "Log debug detail to stderr");
    app.add_flag("-q,--quiet", g.quiet, "Print only errors");

    const Command* chosen = nullptr;
    for (const auto& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        sub->fallthrough();
        command.declare(*sub);
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
                                                              "--migrations-dir", "--layout"};
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
        return chosen->run(g);
    } catch (const Error& e) {
        print_error(g, e.code(), e.what(), e.hint());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        print_error(g, ExitCode::failure, std::string("unexpected: ") + e.what(), "");
        return static_cast<int>(ExitCode::failure);
    }
}

}  // namespace sm::cli
