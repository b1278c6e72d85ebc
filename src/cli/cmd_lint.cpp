// safe-migrate lint [FILES|DIRS] [--changed-since REF]: check migrations against a
// policy, no database.
#include <cstdio>
#include <memory>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "planner/changed_files.hpp"
#include "planner/lint_inputs.hpp"
#include "planner/lint_stream.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "util/error.hpp"

namespace sm::cli {

struct LintArgs {
    std::vector<std::filesystem::path> paths;
    std::optional<std::string> policy;
    std::optional<std::string> changed_since;  // a git revision
    std::string format = "text";               // text, json, sarif, github, gitlab
    int jobs = 0;                              // 0: one thread per core
    bool list_rules = false;
    bool include_down = false;
};

namespace {

// Says how many files --changed-since selected: on stdout in text, where a CI
// log reads it; on stderr (and as a notice annotation) where stdout is a document.
void report_changed(const GlobalOptions& options, const LintArgs& args, size_t count) {
    std::string line =
        count == 0 ? "no changed migrations since " + *args.changed_since
                   : std::to_string(count) + " changed migration(s) since " + *args.changed_since;
    if (args.format == "text") {
        say(options, line);
    } else if (args.format == "github") {
        std::printf("::notice title=safe-migrate lint::%s\n", line.c_str());
    } else if (!options.quiet) {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

}  // namespace

int run_lint(const GlobalOptions& options, const LintArgs& args) {
    if (args.list_rules) {
        std::string text =
            args.format == "json" ? planner::render_rules_json() : planner::render_rules();
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    // 1. The policy (--policy, ./safe-migrate-policy.toml, or the shipped default).
    planner::Policy policy = planner::load_policy(args.policy);

    // 2. What to lint: the paths given, or the project's migrations directory, in
    //    the project's layout (the parts of another tool's files).
    core::Config config = load_config(options);
    std::vector<std::filesystem::path> inputs = args.paths;
    if (inputs.empty()) {
        inputs.push_back(config.migrations_dir);
    }
    auto files =
        args.changed_since
            ? planner::changed_inputs(inputs, *args.changed_since, config.layout, args.include_down)
            : planner::lint_inputs(inputs, config.layout, args.include_down);
    if (args.changed_since) {
        report_changed(options, args, files.size());
        if (files.empty() && args.format == "text") {
            return 0;  // "no changed migrations" says it all; other formats print an empty report
        }
    }

    // 3. Lint every file (in parallel), writing the report as the files finish.
    planner::LintTotals totals = planner::lint_to(
        files, policy, args.jobs, planner::lint_format_named(args.format),
        [](std::string_view piece) { std::fwrite(piece.data(), 1, piece.size(), stdout); });

    // 4. Exit: 3 when something does not parse, 4 on policy errors, else 0.
    return static_cast<int>(planner::lint_exit_code(totals));
}

Command lint_command() {
    auto args = std::make_shared<LintArgs>();
    return {"lint", "Check migrations for destructive and lock-heavy statements (no database)",
            [args](CLI::App& sub) {
                sub.add_option("paths", args->paths,
                               "Files or directories (default: the migrations directory)");
                sub.add_option(
                    "--changed-since", args->changed_since,
                    "Lint only migrations git reports changed since REF: commits in "
                    "REF...HEAD, staged and unstaged edits, untracked .sql files not ignored; "
                    "deleted files are skipped. Exit 2 when REF is not in this clone (the hint "
                    "fetches it) or the files are not in a git work tree");
                sub.add_option("--policy", args->policy,
                               "Policy: default, strict, or a .toml file");
                sub.add_option("--format", args->format,
                               "text, json, sarif, github (annotations) or gitlab (Code Quality)")
                    ->check(one_of("--format", {"text", "json", "sarif", "github", "gitlab"}));
                sub.add_option("--jobs", args->jobs, "Threads (default: one per core)");
                sub.add_flag("--list-rules", args->list_rules, "Print the rule catalog and exit");
                sub.add_flag("--include-down", args->include_down,
                             "Also lint down migrations found in directories");
            },
            [args](const GlobalOptions& g) { return run_lint(g, *args); }, true};
}

}  // namespace sm::cli
