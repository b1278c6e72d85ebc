#include "validate/history_check.hpp"

namespace sm::validate {

std::vector<HistoryProblem> history_problems(const executor::StatusReport& report) {
    using executor::MigrationState;
    std::vector<HistoryProblem> out;
    for (const auto& e : report.entries) {
        std::string id = core::to_string(e.version) + "_" + e.name;
        std::string message;
        switch (e.state) {
            case MigrationState::changed:
                message = "migration " + id + ": file changed after it was applied (recorded " +
                          e.recorded_checksum.substr(0, 12) + ", file " +
                          e.file_checksum.substr(0, 12) + ")";
                break;
            case MigrationState::missing:
                message = "migration " + id + ": applied, but its file is missing";
                break;
            case MigrationState::partial:
                message = "migration " + id + ": partially applied (" + e.detail + ")";
                break;
            case MigrationState::out_of_order:
                message = "migration " + id + ": not applied, but " + e.detail;
                break;
            case MigrationState::applied:
            case MigrationState::pending:
                continue;
        }
        out.push_back({e.version, e.name, executor::state_name(e.state), message});
    }
    return out;
}

std::vector<AppliedStep> applied_steps(const executor::StatusReport& report,
                                       const std::vector<db::PartialMigration>& partial) {
    using executor::MigrationState;
    std::vector<AppliedStep> out;
    for (const auto& e : report.entries) {
        AppliedStep step{e.version, core::to_string(e.version) + "_" + e.name, std::nullopt};
        if (e.state == MigrationState::applied || e.state == MigrationState::changed) {
            out.push_back(step);
        } else if (e.state == MigrationState::partial) {
            for (const auto& p : partial) {
                if (p.version == e.version) {
                    step.statements = p.statements_done;
                }
            }
            out.push_back(step);
        }
    }
    return out;
}

}  // namespace sm::validate
