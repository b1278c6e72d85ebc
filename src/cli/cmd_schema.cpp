// safe-migrate schema dump: the normalised schema as a JSON snapshot that can
// be committed and given to validate --snapshot.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "core/log.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "validate/expected_schema.hpp"
#include "validate/validate_target.hpp"

namespace sm::cli {
namespace {

struct SchemaArgs {
    std::string action;                        // dump
    std::optional<std::filesystem::path> out;  // else stdout
    bool from_target = false;                  // read the live target, not the files
};

// Every migration file, whole: the schema the project's files produce.
std::vector<validate::AppliedStep> every_migration(const core::MigrationSet& set) {
    std::vector<validate::AppliedStep> steps;
    for (const auto& m : set.migrations) {
        steps.push_back({m.version, m.id(), std::nullopt});
    }
    return steps;
}

int run_schema(const GlobalOptions& options, const SchemaArgs& args) {
    // SIGINT/SIGTERM stop it between steps (cancelling a running statement),
    // and the throwaway cluster is stopped and removed whatever happens.
    util::InterruptGuard interrupts;

    // 1. Load the config and the migration sources.
    planner::Project project = load_project(options);

    // 2. The schema: every migration file run on a throwaway database, or the
    //    live target with --from-target.
    validate::SchemaModel model =
        args.from_target
            ? validate::read_target_model(resolve_target(options, project.config),
                                          project.config.application_name)
            : validate::build_expected_schema(every_migration(project.migrations), project.up, {});

    // 3. Write the snapshot (stdout unless --out); not once interrupted.
    validate::stop_if_interrupted("building the schema snapshot");
    std::string text = validate::model_to_json(model);
    //    Without --out the snapshot is stdout's document, whatever --format says.
    if (args.out) {
        util::write_file_atomic(*args.out, text);
        core::log_info("schema snapshot (" + std::to_string(model.objects.size()) +
                       " objects) written to " + args.out->string());
        if (options.format == Format::json) {
            print_ok({{"out", args.out->string()}, {"objects", model.objects.size()}});
        }
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return 0;
}

}  // namespace

Command schema_command() {
    auto args = std::make_shared<SchemaArgs>();
    return {"schema", "Dump the normalised schema the migrations produce, as a snapshot file",
            [args](CLI::App& sub) {
                sub.add_option("action", args->action, "dump")
                    ->required()
                    ->check(one_of("schema action", {"dump"}));
                sub.add_option("--out", args->out, "Write the snapshot here (default stdout)");
                sub.add_flag("--from-target", args->from_target,
                             "Read the live target's schema instead of applying every migration "
                             "file to a throwaway database");
            },
            [args](const GlobalOptions& g) { return run_schema(g, *args); }, false};
}

}  // namespace sm::cli
