#include "seed/seed_order.hpp"

#include <map>
#include <set>

#include "util/error.hpp"

namespace sm::seed {
namespace {

using Key = std::pair<long long, std::string>;  // (order, id): the tie-break

// One cycle among the seeds left over by the topological sort, as
// "a -> b -> a" (-> reads "requires").
std::string find_cycle(const std::map<std::string, const Seed*>& left) {
    std::vector<std::string> path;
    std::map<std::string, size_t> position;
    std::string at = left.begin()->first;
    while (position.count(at) == 0) {
        position[at] = path.size();
        path.push_back(at);
        // Every leftover seed still waits for a leftover requirement.
        for (const auto& r : left.at(at)->requires_) {
            if (left.count(r.id) != 0) {
                at = r.id;
                break;
            }
        }
    }
    std::string text;
    for (size_t i = position[at]; i < path.size(); ++i) {
        text += path[i] + " -> ";
    }
    return text + at;
}

// The hint of an ordering error: what was not done, then how to fix it.
std::string hint(const std::string& nothing_done, const std::string& fix) {
    return nothing_done.empty() ? fix : nothing_done + " " + fix;
}

std::vector<const Seed*> order_seeds(const SeedSet& set, const std::vector<const Seed*>& chosen,
                                     const std::string& scope, const std::string& nothing_done) {
    std::map<std::string, const Seed*> by_id;
    for (const Seed* s : chosen) {
        by_id[s->id] = s;
    }
    // Requirements must be among the chosen seeds; report every one that is not.
    std::string missing;
    for (const Seed* s : chosen) {
        for (const auto& r : s->requires_) {
            if (by_id.count(r.id) != 0) {
                continue;
            }
            missing += "\n  " + s->path.string() + ":" + std::to_string(r.line) + ": seed " +
                       s->id + " requires " + r.id + ", which " +
                       (set.find(r.id) != nullptr ? "is not a seed of " + scope
                                                  : std::string("does not exist"));
        }
    }
    if (!missing.empty()) {
        throw Error(ExitCode::invalid_input, "missing seed dependencies:" + missing,
                    hint(nothing_done, "Fix the requires= directives, or add the seeds."));
    }

    // Kahn's algorithm; among the seeds ready to run, the lowest (order, id) goes first.
    std::map<std::string, size_t> waiting;
    std::map<std::string, std::vector<const Seed*>> dependents;
    std::set<Key> ready;
    for (const Seed* s : chosen) {
        std::set<std::string> distinct;
        for (const auto& r : s->requires_) {
            distinct.insert(r.id);
        }
        waiting[s->id] = distinct.size();
        for (const auto& id : distinct) {
            dependents[id].push_back(s);
        }
        if (distinct.empty()) {
            ready.insert({s->order, s->id});
        }
    }
    std::vector<const Seed*> out;
    while (!ready.empty()) {
        Key next = *ready.begin();
        ready.erase(ready.begin());
        const Seed* s = by_id.at(next.second);
        out.push_back(s);
        by_id.erase(s->id);
        for (const Seed* d : dependents[s->id]) {
            if (--waiting[d->id] == 0) {
                ready.insert({d->order, d->id});
            }
        }
    }
    if (!by_id.empty()) {
        throw Error(ExitCode::invalid_input, "seed dependency cycle: " + find_cycle(by_id),
                    hint(nothing_done,
                         "A seed cannot require, directly or not, itself; fix the requires= "
                         "directives."));
    }
    return out;
}

}  // namespace

std::vector<const Seed*> order_for_environment(const SeedSet& set, const std::string& environment,
                                               const std::string& nothing_done) {
    std::vector<const Seed*> chosen;
    for (const auto& s : set.seeds) {
        if (s.belongs_to(environment)) {
            chosen.push_back(&s);
        }
    }
    return order_seeds(set, chosen, "environment '" + environment + "'", nothing_done);
}

std::vector<const Seed*> order_all(const SeedSet& set, const std::string& nothing_done) {
    std::vector<const Seed*> chosen;
    for (const auto& s : set.seeds) {
        chosen.push_back(&s);
    }
    return order_seeds(set, chosen, "the project", nothing_done);
}

}  // namespace sm::seed
