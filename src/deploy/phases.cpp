#include "deploy/phases.hpp"

#include <unistd.h>

#include <memory>
#include <utility>

#include "core/log.hpp"
#include "executor/preflight.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

// An unfinished backfill of change, when contract step index runs: not
// applied, and not applied by an earlier step of this run. Its id, or "".
std::string unfinished_backfill(const std::string& change, const std::vector<Step>& steps,
                                size_t index, const executor::StatusReport& report,
                                const core::MigrationSet& migrations) {
    for (const auto& e : report.entries) {
        const core::Migration* m = migrations.find(e.version);
        if (m == nullptr || m->up.directives.phase != core::Phase::backfill ||
            m->up.directives.change != change || !executor::to_apply(e.state)) {
            continue;
        }
        bool earlier = false;
        for (size_t i = 0; i < index; ++i) {
            earlier = earlier || steps[i].migration == m;
        }
        if (!earlier) {
            return m->id();
        }
    }
    return "";
}

}  // namespace

PhaseCut cut_at_phase(const std::vector<Step>& steps, core::Phase through) {
    PhaseCut cut;
    for (const auto& step : steps) {
        if (!cut.held.empty() || step.migration->up.directives.phase > through) {
            cut.held.push_back(step.migration);
        } else {
            cut.steps.push_back(step);
        }
    }
    return cut;
}

std::vector<std::string> describe_held(const std::vector<const core::Migration*>& held) {
    std::vector<std::string> out;
    out.reserve(held.size());
    for (const auto* m : held) {
        out.push_back(m->id() + " (" + core::phase_name(m->up.directives.phase) + ")");
    }
    return out;
}

std::string held_line(const std::vector<std::string>& held) {
    if (held.empty()) {
        return "";
    }
    bool contract = false;
    for (const auto& h : held) {
        contract = contract || h.ends_with("(contract)");
    }
    return "left for a later phase: " + util::join(held, ", ") +
           "; apply with: safe-migrate execute --through " + (contract ? "contract" : "backfill");
}

ContractRefusal contract_refusal(const std::vector<Step>& steps, size_t first,
                                 const executor::StatusReport& report,
                                 const core::MigrationSet& migrations, db::Session& session,
                                 const std::string& old_app_pattern) {
    std::vector<std::string> old_apps;
    bool old_apps_read = false;
    for (size_t i = first; i < steps.size(); ++i) {
        const core::Migration& m = *steps[i].migration;
        if (m.up.directives.phase != core::Phase::contract) {
            continue;
        }
        const std::string& change = m.up.directives.change;
        if (!change.empty()) {
            std::string backfill = unfinished_backfill(change, steps, i, report, migrations);
            if (!backfill.empty()) {
                std::string why = "contract migration " + m.id();
                why += " waits for the backfill of change '" + change + "': ";
                why += backfill + " is unfinished";
                std::string hint = "Apply " + backfill + " first: number it before " + m.id();
                hint += ", or let the run that is applying it finish.";
                return {why, hint};
            }
        }
        if (!old_app_pattern.empty() && !old_apps_read) {
            try {
                old_apps = executor::sessions_of_application(session, old_app_pattern);
            } catch (const db::DbError& e) {
                throw Error(ExitCode::invalid_input, "[execute] old_app_pattern '" +
                                                         old_app_pattern +
                                                         "' cannot be used: " + e.primary());
            }
            old_apps_read = true;
        }
        if (!old_apps.empty()) {
            return {"contract migration " + m.id() +
                        " waits for the old application to disconnect: " +
                        std::to_string(old_apps.size()) + " session(s) match old_app_pattern '" +
                        old_app_pattern + "': " + util::join(old_apps, ", "),
                    "Stop the old application version, then run 'safe-migrate execute --through "
                    "contract' again."};
        }
    }
    return {};
}

ContractRefusal contract_step_refusal(const std::vector<Step>& steps, size_t index,
                                      const executor::StatusReport& report,
                                      const core::MigrationSet& migrations, db::Session& session,
                                      const std::string& old_app_pattern) {
    if (steps.at(index).migration->up.directives.phase != core::Phase::contract) {
        return {};
    }
    std::vector<Step> upto(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(index) + 1);
    return contract_refusal(upto, index, report, migrations, session, old_app_pattern);
}

executor::BackfillObserver backfill_progress_printer(std::chrono::milliseconds heartbeat) {
    using Clock = std::chrono::steady_clock;
    auto every = isatty(STDERR_FILENO) != 0 ? std::chrono::milliseconds(2000) : heartbeat;
    auto last = std::make_shared<std::pair<Clock::time_point, std::string>>(Clock::now(), "");
    return [every, last](const executor::BackfillProgress& p) {
        bool changed = p.paused != last->second;
        if (!changed && !p.done && (every.count() == 0 || Clock::now() - last->first < every)) {
            return;
        }
        *last = {Clock::now(), p.paused};
        core::log_info(p.describe());
    };
}

}  // namespace sm::deploy
