// safe-migrate validate: does the target hold what its migrations say it should?
// History against files, then the live schema against the expected one.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "validate/report.hpp"
#include "validate/validate_target.hpp"

namespace sm::cli {
namespace {

struct ValidateArgs {
    std::optional<std::filesystem::path> snapshot;  // expected schema from this file
};

int run_validate(const GlobalOptions& options, const ValidateArgs& args) {
    // SIGINT/SIGTERM stop it between steps (cancelling a running statement),
    // and the throwaway cluster is stopped and removed whatever happens.
    util::InterruptGuard interrupts;

    // 1. Load the config and the migration sources (and the snapshot, if given,
    //    so a bad file is reported before anything else happens).
    planner::Project project = load_project(options);
    std::optional<validate::SchemaModel> snapshot;
    if (args.snapshot) {
        snapshot =
            validate::model_from_json(util::read_file(*args.snapshot), args.snapshot->string());
    }

    // 2. Compare the target's history with the files and its live schema with
    //    the expected one (read-only).
    validate::ValidationReport report =
        validate::validate_target(project, resolve_target(options, project.config),
                                  std::move(snapshot), args.snapshot.value_or("").string());

    // 3. Report; any problem or difference is drift.
    ExitCode code = report.drift() ? ExitCode::drift : ExitCode::ok;
    std::string out =
        options.format == Format::json
            ? validate::render_report_json(report, exit_code_name(code), static_cast<int>(code))
            : validate::render_report_text(report);
    if (options.format == Format::json || !options.quiet) {
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    return static_cast<int>(code);
}

}  // namespace

Command validate_command() {
    auto args = std::make_shared<ValidateArgs>();
    return {"validate",
            "Check history against files and the live schema against the migrations (drift)",
            [args](CLI::App& sub) {
                sub.add_option(
                       "--snapshot", args->snapshot,
                       "Expected schema from this snapshot (schema dump) instead of applying "
                       "the migrations to a throwaway database")
                    ->check(CLI::ExistingFile);
            },
            [args](const GlobalOptions& g) { return run_validate(g, *args); }, false};
}

}  // namespace sm::cli
