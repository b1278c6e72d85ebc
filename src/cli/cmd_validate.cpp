// safe-migrate validate: does the target hold what its migrations say it should?
// History against files, then the live schema against the expected one.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "executor/history.hpp"
#include "executor/status.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "validate/expected_schema.hpp"
#include "validate/history_check.hpp"
#include "validate/report.hpp"
#include "validate/schema_diff.hpp"
#include "validate/schema_read.hpp"

namespace sm::cli {
namespace {

std::string head_text(const std::optional<int64_t>& head) {
    return head ? std::to_string(*head) : std::string("nothing applied");
}

// Runs read against the target with SIGINT/SIGTERM cancelling it on the server;
// a cancelled read is sm::Error (interrupted).
template <typename Read>
auto read_target(executor::Session& session, const std::string& during, Read read) {
    util::ScopedCancelHook hook([&session] { session.cancel(); });
    validate::stop_if_interrupted(during);
    try {
        return read();
    } catch (const executor::DbError&) {
        validate::stop_if_interrupted(during);
        throw;
    }
}

}  // namespace

int run_validate(const GlobalOptions& options, const ValidateArgs& args) {
    // SIGINT/SIGTERM stop it between steps (cancelling a running statement),
    // and the throwaway cluster is stopped and removed whatever happens.
    util::InterruptGuard interrupts;

    // 1. Load the config and the migration sources (and the snapshot, if given,
    //    so a bad file is reported before anything else happens).
    Project project = load_project(options);
    std::optional<validate::SchemaModel> snapshot;
    if (args.snapshot) {
        snapshot =
            validate::model_from_json(util::read_file(*args.snapshot), args.snapshot->string());
    }

    // 2. Read the target's history and compare it with the files. Read-only:
    //    the history schema is never created here.
    core::Target target = resolve_target(options, project.config);
    auto session = connect_target(target, project.config);
    auto partial = read_target(*session, "reading the target's history",
                               [&] { return executor::read_partial(*session); });
    auto status =
        executor::compute_status(project.migrations,
                                 read_target(*session, "reading the target's history",
                                             [&] { return executor::read_applied(*session); }),
                                 partial);
    validate::ValidationReport report;
    report.target = session->display_name();
    report.history = validate::history_problems(status);

    // 3. The expected schema: the snapshot, or the applied migrations run on a
    //    throwaway database.
    validate::SchemaModel expected;
    if (snapshot) {
        expected = std::move(*snapshot);
        report.expected_source = "snapshot";
        report.snapshot_file = args.snapshot->string();
        if (expected.head != status.head) {
            report.notes.push_back("the snapshot was written at head " + head_text(expected.head) +
                                   ", the target's head is " + head_text(status.head));
        }
    } else {
        auto roles = read_target(*session, "reading the target's roles",
                                 [&] { return validate::read_roles(*session); });
        expected = validate::build_expected_schema(validate::applied_steps(status, partial),
                                                   project.up, roles);
        report.expected_source = "sandbox";
    }
    report.expected_head = expected.head;
    report.expected_migrations = expected.versions.size();
    report.objects_compared = expected.objects.size();

    // 4. Read the live schema and compare.
    report.schema = validate::diff_schemas(
        expected, read_target(*session, "reading the target's schema",
                              [&] { return validate::read_schema(*session); }));
    validate::stop_if_interrupted("comparing the schemas");

    // 5. Report; any problem or difference is drift.
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

}  // namespace sm::cli
