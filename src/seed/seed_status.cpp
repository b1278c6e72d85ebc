#include "seed/seed_status.hpp"

#include <algorithm>
#include <map>

#include "util/strings.hpp"

namespace sm::seed {

const char* state_name(SeedState state) {
    switch (state) {
        case SeedState::pending:
            return "pending";
        case SeedState::applied:
            return "applied";
        case SeedState::rerun:
            return "rerun";
        case SeedState::changed:
            return "changed";
        case SeedState::missing:
            return "missing";
    }
    return "unknown";
}

int SeedReport::count(SeedState state) const {
    return static_cast<int>(std::count_if(entries.begin(), entries.end(),
                                          [&](const SeedEntry& e) { return e.state == state; }));
}

SeedReport compute_seed_status(const SeedSet& set, const std::vector<const Seed*>& ordered,
                               const std::vector<AppliedSeed>& applied) {
    std::map<std::string, const AppliedSeed*> recorded;
    for (const auto& a : applied) {
        recorded[a.id] = &a;
    }
    SeedReport report;
    for (const Seed* s : ordered) {
        SeedEntry e;
        e.id = s->id;
        e.seed = s;
        auto it = recorded.find(s->id);
        if (it == recorded.end()) {
            e.state = SeedState::pending;
        } else {
            e.applied = *it->second;
            if (it->second->checksum == s->checksum) {
                e.state = SeedState::applied;
            } else {
                e.state = s->rerunnable ? SeedState::rerun : SeedState::changed;
            }
        }
        report.entries.push_back(std::move(e));
    }
    for (const auto& a : applied) {
        if (set.find(a.id) == nullptr) {
            report.entries.push_back({a.id, SeedState::missing, nullptr, a});
        }
    }
    return report;
}

std::string entry_detail(const SeedEntry& entry) {
    switch (entry.state) {
        case SeedState::pending: {
            std::vector<std::string> ids;
            if (entry.seed == nullptr) {  // a pending seed has its file; the analyzer cannot know
                return "";
            }
            for (const auto& r : entry.seed->requires_) {
                ids.push_back(r.id);
            }
            return ids.empty() ? "" : "requires " + util::join(ids, ", ");
        }
        case SeedState::rerun:
            return "file changed; re-runs on the next seed run";
        case SeedState::changed:
            return "file changed since it ran, and it is not re-runnable";
        case SeedState::missing:
            return "recorded, but the file is gone";
        case SeedState::applied:
            break;
    }
    return entry.applied && entry.applied->runs > 1 ? std::to_string(entry.applied->runs) + " runs"
                                                    : "";
}

}  // namespace sm::seed
