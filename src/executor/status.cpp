#include "executor/status.hpp"

#include <algorithm>
#include <map>

#include "core/checksum.hpp"

namespace sm::executor {

const char* state_name(MigrationState state) {
    switch (state) {
        case MigrationState::applied:
            return "applied";
        case MigrationState::pending:
            return "pending";
        case MigrationState::out_of_order:
            return "out-of-order";
        case MigrationState::changed:
            return "changed";
        case MigrationState::missing:
            return "missing";
        case MigrationState::partial:
            return "partial";
    }
    return "unknown";
}

bool to_apply(MigrationState state) {
    return state == MigrationState::pending || state == MigrationState::out_of_order ||
           state == MigrationState::partial;
}

StatusReport compute_status(const core::MigrationSet& files,
                            const std::vector<db::AppliedMigration>& applied,
                            const std::vector<db::PartialMigration>& partial) {
    StatusReport report;
    std::map<core::Version, const db::AppliedMigration*> by_version;
    for (const auto& a : applied) {
        by_version[a.version] = &a;
        report.head = std::max(report.head.value_or(a.version), a.version);
    }
    std::map<core::Version, const db::PartialMigration*> partial_by_version;
    for (const auto& p : partial) {
        partial_by_version[p.version] = &p;
    }

    for (const auto& m : files.migrations) {
        StatusEntry e;
        e.version = m.version;
        e.name = m.name;
        e.file_checksum = m.up.checksum;
        if (auto it = by_version.find(m.version); it != by_version.end()) {
            const db::AppliedMigration& a = *it->second;
            e.applied_at = a.applied_at;
            e.recorded_checksum = a.checksum;
            if (a.checksum_algorithm != core::k_checksum_algorithm) {
                // A checksum from another algorithm is never recomputed or compared.
                e.state = MigrationState::applied;
                e.detail = "checksum recorded with " + a.checksum_algorithm + "; not compared";
            } else if (a.checksum != m.up.checksum) {
                e.state = MigrationState::changed;
                e.detail = "file changed after it was applied";
            } else {
                e.state = MigrationState::applied;
            }
        } else if (auto p = partial_by_version.find(m.version); p != partial_by_version.end()) {
            const db::PartialMigration& pm = *p->second;
            e.state = MigrationState::partial;
            e.recorded_checksum = pm.checksum;
            e.detail = std::to_string(pm.statements_done) + " of " +
                       std::to_string(pm.statements_total) + " statements done";
            e.detail += pm.state == db::ProgressState::failed ? "; failed: " + pm.last_error
                                                              : "; interrupted";
        } else if (report.head && m.version < *report.head) {
            e.state = MigrationState::out_of_order;
            e.detail = "older than the newest applied version " + core::to_string(*report.head);
        } else {
            e.state = MigrationState::pending;
        }
        report.entries.push_back(std::move(e));
    }
    for (const auto& a : applied) {
        if (files.find(a.version) == nullptr) {
            StatusEntry e;
            e.version = a.version;
            e.name = a.name;
            e.state = MigrationState::missing;
            e.applied_at = a.applied_at;
            e.recorded_checksum = a.checksum;
            e.detail =
                "applied, but no file " + core::to_string(a.version) + "_" + a.name + ".up.sql";
            report.entries.push_back(std::move(e));
        }
    }
    for (const auto& p : partial) {
        if (files.find(p.version) == nullptr) {
            StatusEntry e;
            e.version = p.version;
            e.name = p.name;
            e.state = MigrationState::partial;
            e.recorded_checksum = p.checksum;
            e.detail = "partially applied, and its file is gone";
            report.entries.push_back(std::move(e));
        }
    }
    std::sort(report.entries.begin(), report.entries.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    for (const auto& e : report.entries) {
        switch (e.state) {
            case MigrationState::applied:
                ++report.applied;
                break;
            case MigrationState::pending:
                ++report.pending;
                break;
            case MigrationState::out_of_order:
                ++report.out_of_order;
                break;
            case MigrationState::changed:
                ++report.changed;
                ++report.applied;
                break;
            case MigrationState::missing:
                ++report.missing;
                break;
            case MigrationState::partial:
                ++report.partial;
                break;
        }
    }
    return report;
}

}  // namespace sm::executor
