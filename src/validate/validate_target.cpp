#include "validate/validate_target.hpp"

#include "db/history.hpp"
#include "executor/status.hpp"
#include "util/signals.hpp"
#include "validate/expected_schema.hpp"
#include "validate/history_check.hpp"
#include "validate/schema_diff.hpp"
#include "validate/schema_read.hpp"

namespace sm::validate {
namespace {

std::string head_text(const std::optional<core::Version>& head) {
    return head ? head->text() : std::string("nothing applied");
}

// Runs read against the target with SIGINT/SIGTERM cancelling it on the server;
// a cancelled read is sm::Error (interrupted).
template <typename Read>
auto read_target(db::Session& session, const std::string& during, Read read) {
    util::ScopedCancelHook hook([&session] { session.cancel(); });
    stop_if_interrupted(during);
    try {
        return read();
    } catch (const db::DbError&) {
        stop_if_interrupted(during);
        throw;
    }
}

}  // namespace

ValidationReport validate_target(const planner::Project& project, const core::Target& target,
                                 std::optional<SchemaModel> snapshot,
                                 const std::string& snapshot_file) {
    // 1. Read the target's history and compare it with the files.
    auto session = db::connect_as(target.conninfo, project.config.application_name, "");
    const std::string history = "reading the target's history";
    auto partial = read_target(*session, history, [&] { return db::read_partial(*session); });
    auto applied = read_target(*session, history, [&] { return db::read_applied(*session); });
    auto status = executor::compute_status(project.migrations, applied, partial);
    ValidationReport report;
    report.target = session->display_name();
    report.history = history_problems(status);

    // 2. The expected schema: the snapshot, or the applied migrations run on a
    //    throwaway database.
    SchemaModel expected;
    if (snapshot) {
        expected = std::move(*snapshot);
        report.expected_source = "snapshot";
        report.snapshot_file = snapshot_file;
        if (expected.head != status.head) {
            report.notes.push_back("the snapshot was written at head " + head_text(expected.head) +
                                   ", the target's head is " + head_text(status.head));
        }
    } else {
        auto roles = read_target(*session, "reading the target's roles",
                                 [&] { return read_roles(*session); });
        expected = build_expected_schema(applied_steps(status, partial), project.up, roles);
        report.expected_source = "sandbox";
    }
    report.expected_head = expected.head;
    report.expected_migrations = expected.versions.size();
    report.objects_compared = expected.objects.size();

    // 3. Read the live schema and compare.
    report.schema = diff_schemas(expected, read_target(*session, "reading the target's schema",
                                                       [&] { return read_schema(*session); }));
    stop_if_interrupted("comparing the schemas");
    return report;
}

SchemaModel read_target_model(const core::Target& target, const std::string& application_name) {
    auto session = db::connect_as(target.conninfo, application_name, "");
    return read_target(*session, "reading the target's schema", [&] {
        SchemaModel model = read_schema(*session);
        for (const auto& a : db::read_applied(*session)) {
            model.versions.push_back(a.version);
            model.head = a.version;
        }
        return model;
    });
}

}  // namespace sm::validate
