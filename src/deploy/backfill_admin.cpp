#include "deploy/backfill_admin.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/version_json.hpp"
#include "db/backfill_store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

using nlohmann::json;

int64_t percent_of(const db::BackfillRow& b) {
    if (b.state == "done") {
        return 100;
    }
    return b.keys_total > 0 ? std::min<int64_t>(100, 100 * b.keys_done / b.keys_total) : 0;
}

json backfill_json(const db::BackfillRow& b) {
    return {{"version", b.version},
            {"name", b.name},
            {"change", b.change},
            {"table", b.table},
            {"state", b.state},
            {"rows_done", b.rows_done},
            {"keys_done", b.keys_done},
            {"keys_total", b.keys_total},
            {"percent", percent_of(b)},
            {"batches", b.batches},
            {"batch_size", b.batch_size},
            {"rows_per_second", std::lround(b.rows_per_second)},
            {"pause_requested", b.pause_requested},
            {"paused_reason", b.paused_reason},
            {"started_at", b.started_at},
            {"updated_at", b.updated_at},
            {"finished_at", b.finished_at.empty() ? json(nullptr) : json(b.finished_at)}};
}

// "2_fill_email (public.users): running, 12000 rows, 40% of 30000 keys, 5200 rows/s, batch 1000"
std::string backfill_line(const db::BackfillRow& b) {
    std::string line = core::to_string(b.version) + "_" + b.name + " (" + b.table +
                       "): " + b.state + ", " + std::to_string(b.rows_done) + " rows, " +
                       std::to_string(percent_of(b)) + "% of " + std::to_string(b.keys_total) +
                       " keys, " + std::to_string(std::lround(b.rows_per_second)) +
                       " rows/s, batch " + std::to_string(b.batch_size);
    if (!b.paused_reason.empty()) {
        line += "; paused: " + b.paused_reason;
    } else if (b.pause_requested && b.state != "done") {
        line += "; pause requested";
    }
    return line;
}

}  // namespace

BackfillReport backfill_admin(const core::Target& target, const core::Config& config,
                              const std::string& action, std::optional<int64_t> version) {
    if (action != "status" && action != "pause" && action != "resume") {
        throw Error(ExitCode::usage,
                    "backfill: unknown action '" + action + "' (known: status, pause, resume)");
    }
    auto session = db::connect_as(target.conninfo, config.application_name, "backfill");
    std::vector<db::BackfillRow> rows;
    if (action == "status") {
        for (auto& b : db::read_backfills(*session)) {
            if (!version || b.version == *version) {
                rows.push_back(std::move(b));
            }
        }
    } else {
        rows = db::request_pause(*session, version, action == "pause");
    }
    if (version && rows.empty()) {
        throw Error(ExitCode::invalid_input,
                    "no " + std::string(action == "status" ? "" : "unfinished ") +
                        "backfill of version " + std::to_string(*version) + " on " +
                        session->display_name(),
                    "Run 'safe-migrate backfill status' to list them.");
    }
    BackfillReport report;
    json list = json::array();
    std::vector<std::string> lines;
    for (const auto& b : rows) {
        list.push_back(backfill_json(b));
        lines.push_back(backfill_line(b));
    }
    report.json = json({{"result", "ok"},
                        {"action", action},
                        {"target", session->display_name()},
                        {"backfills", list}})
                      .dump(2);
    if (rows.empty()) {
        lines.push_back(action == "status" ? "no backfill has run here" : "no unfinished backfill");
    } else if (action != "status") {
        lines.insert(lines.begin(), action == "pause" ? "asked to pause before the next batch:"
                                                      : "asked to go on:");
    }
    report.text = util::join(lines, "\n");
    return report;
}

}  // namespace sm::deploy
