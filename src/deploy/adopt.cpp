#include "deploy/adopt.hpp"

#include <algorithm>
#include <set>

#include "core/checksum.hpp"
#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "db/target_info.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

// The tool's own command that applies migrations, for hints.
std::string tool_up_command(core::Layout tool) {
    switch (tool) {
        case core::Layout::flyway:
            return "flyway migrate";
        case core::Layout::golang_migrate:
            return "migrate up";
        case core::Layout::goose:
            return "goose up";
        case core::Layout::diesel:
            return "diesel migration run";
        case core::Layout::prisma:
            return "prisma migrate deploy";
        default:
            return "dbmate up";
    }
}

std::string list(const std::vector<std::string>& items) {
    return "\n  " + util::join(items, "\n  ");
}

[[noreturn]] void refuse(const db::ToolHistory& history, core::Layout tool) {
    throw Error(ExitCode::invalid_input,
                std::string(core::layout_name(tool)) + "'s history (" + history.table +
                    ") cannot be adopted as it is:" + list(history.refusals),
                "Nothing was recorded. Repair it with " + std::string(core::layout_name(tool)) +
                    " itself, then run adopt again.");
}

}  // namespace

AdoptChoice choose_adopted(const core::MigrationSet& files, const db::ToolHistory& history,
                           const std::vector<db::AppliedMigration>& recorded, core::Layout tool) {
    if (!history.refusals.empty()) {
        refuse(history, tool);
    }
    AdoptChoice choice;
    if (!history.applied.empty()) {
        choice.head = history.applied.back();
    }
    if (history.baseline && (!choice.head || *choice.head < *history.baseline)) {
        choice.head = history.baseline;
    }
    // 1. Every version the tool applied has its file here.
    std::vector<std::string> no_file;
    const std::vector<core::Version> listed =
        history.up_to && choice.head ? std::vector<core::Version>{*choice.head} : history.applied;
    for (const core::Version& v : listed) {
        if (files.find(v) == nullptr) {
            no_file.push_back(v.text());
        }
    }
    if (!no_file.empty()) {
        throw Error(ExitCode::invalid_input,
                    std::string(core::layout_name(tool)) + "'s history (" + history.table +
                        ") names " + std::to_string(no_file.size()) +
                        " migration(s) with no file in " + files.dir.string() + ":" + list(no_file),
                    "Nothing was recorded. Restore the files (or point --migrations-dir at the "
                    "directory the tool ran), then run adopt again.");
    }
    // 2. Split the local files: applied by the tool, out of order, or pending.
    std::set<core::Version> applied(history.applied.begin(), history.applied.end());
    std::set<core::Version> done;
    for (const auto& r : recorded) {
        done.insert(r.version);
    }
    std::vector<std::string> out_of_order;
    for (const auto& m : files.migrations) {
        bool by_tool = history.up_to ? (choice.head && m.version <= *choice.head)
                                     : applied.count(m.version) != 0 ||
                                           (history.baseline && m.version <= *history.baseline);
        if (by_tool) {
            (done.count(m.version) != 0 ? choice.already : choice.record).push_back(&m);
        } else if (choice.head && m.version < *choice.head) {
            out_of_order.push_back(m.id());
        } else {
            choice.pending.push_back(&m);
        }
    }
    if (!out_of_order.empty()) {
        throw Error(ExitCode::drift,
                    std::to_string(out_of_order.size()) + " local migration(s) older than " +
                        core::layout_name(tool) + "'s newest applied one (" +
                        core::to_string(*choice.head) +
                        ") are not in its history (out of order):" + list(out_of_order),
                    "Nothing was recorded. Apply them with `" + tool_up_command(tool) +
                        "` first, then run adopt again.");
    }
    return choice;
}

AdoptResult adopt(const AdoptRequest& request) {
    const planner::Project& project = *request.project;
    const auto& name = project.config.application_name;

    // 1. Connect; for real, refuse a standby and take the migration lock.
    auto control = db::connect_as(request.target.conninfo, name, "lock");
    std::optional<db::AdvisoryLock> lock;
    if (!request.dry_run) {
        db::refuse_standby(*control);
        lock.emplace(*control, project.config.execute.lock_wait);
    }

    // 2. Read the tool's history and ours, and choose.
    auto history = db::read_tool_history(*control, request.tool);
    if (!history) {
        throw Error(ExitCode::invalid_input,
                    std::string("no ") + db::tool_history_table(request.tool) +
                        " table in the target: " + core::layout_name(request.tool) +
                        " has not run here (nothing to adopt)",
                    "Check --database-url, or the tool named with --from.");
    }
    AdoptResult result;
    result.table = history->table;
    result.choice =
        choose_adopted(project.migrations, *history, db::read_applied(*control), request.tool);
    if (request.dry_run || result.choice.record.empty()) {
        return result;
    }

    // 3. Record them, with the event, in one transaction.
    db::ensure_history_schema(*control);
    std::string run_id = core::new_run_id();
    std::vector<db::AppliedMigration> rows;
    for (const core::Migration* m : result.choice.record) {
        db::AppliedMigration row;
        row.version = m->version;
        row.name = m->name;
        row.checksum = m->up.checksum;
        row.checksum_algorithm = core::k_checksum_algorithm;
        row.applied_by = core::actor();
        row.run_id = run_id;
        row.tool_version = core::tool_version();
        rows.push_back(std::move(row));
    }
    db::Event event{run_id, "adopt", result.choice.head,
                    "adopted " + std::to_string(rows.size()) + " migration(s) from " +
                        core::layout_name(request.tool) + " (" + history->table + ")"};
    auto session = db::connect_as(request.target.conninfo, name, "");
    try {
        db::record_adopted(*session, rows, event);
    } catch (const db::DbError& e) {
        throw Error(ExitCode::failure,
                    std::string("recording the adopted migrations failed: ") + e.what(),
                    "Nothing was recorded; run adopt again.");
    }
    return result;
}

std::string adopt_hint(db::Session& session, const std::string& error) noexcept {
    static const char* const k_duplicate_states[] = {"42P07", "42701", "42710", "42723", "42P06"};
    bool duplicate = std::any_of(
        std::begin(k_duplicate_states), std::end(k_duplicate_states), [&](const char* state) {
            return error.find(std::string("(SQLSTATE ") + state + ")") != std::string::npos;
        });
    if (!duplicate) {
        return "";
    }
    auto tool = db::find_tool_history(session);
    if (!tool) {
        return "";
    }
    std::string name = core::layout_name(*tool);
    return "This database holds " + name + "'s history (" + db::tool_history_table(*tool) +
           "): run `safe-migrate adopt --from " + name + "` to record what " + name +
           " applied, then execute again.";
}

}  // namespace sm::deploy
