// safe-migrate schema dump: the normalised schema as a JSON snapshot that can
// be committed and given to validate --snapshot.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/history.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "validate/expected_schema.hpp"
#include "validate/schema_read.hpp"

namespace sm::cli {
namespace {

// Every migration file, whole: the schema the project's files produce.
std::vector<validate::AppliedStep> every_migration(const core::MigrationSet& set) {
    std::vector<validate::AppliedStep> steps;
    for (const auto& m : set.migrations) {
        steps.push_back({m.version, m.id(), std::nullopt});
    }
    return steps;
}

// The live target's schema, with its history's versions as provenance.
validate::SchemaModel read_target(const GlobalOptions& options, const Project& project) {
    auto session = connect_target(resolve_target(options, project.config), project.config);
    util::ScopedCancelHook hook([&session] { session->cancel(); });
    try {
        validate::stop_if_interrupted("reading the target's schema");
        validate::SchemaModel model = validate::read_schema(*session);
        for (const auto& a : executor::read_applied(*session)) {
            model.versions.push_back(a.version);
            model.head = a.version;
        }
        return model;
    } catch (const executor::DbError&) {
        validate::stop_if_interrupted("reading the target's schema");
        throw;
    }
}

}  // namespace

int run_schema(const GlobalOptions& options, const SchemaArgs& args) {
    // SIGINT/SIGTERM stop it between steps (cancelling a running statement),
    // and the throwaway cluster is stopped and removed whatever happens.
    util::InterruptGuard interrupts;

    // 1. Load the config and the migration sources.
    Project project = load_project(options);

    // 2. The schema: every migration file run on a throwaway database, or the
    //    live target with --from-target.
    validate::SchemaModel model =
        args.from_target
            ? read_target(options, project)
            : validate::build_expected_schema(every_migration(project.migrations), project.up, {});

    // 3. Write the snapshot (stdout unless --out); not once interrupted.
    validate::stop_if_interrupted("building the schema snapshot");
    std::string text = validate::model_to_json(model);
    if (args.out) {
        util::write_file_atomic(*args.out, text);
        core::log_info("schema snapshot (" + std::to_string(model.objects.size()) +
                       " objects) written to " + args.out->string());
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return 0;
}

}  // namespace sm::cli
