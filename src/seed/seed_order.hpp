#pragma once
// The order seeds run in: dependencies first. Pure; no I/O.

#include <string>
#include <vector>

#include "seed/seed_source.hpp"

namespace sm::seed {

// The seeds of environment in the order they run: every seed after the seeds
// it requires, otherwise by (order, id). Throws sm::Error (invalid_input) when
// a requirement is not a seed of the environment (naming the seed's file:line
// and the missing id) or when requirements form a cycle (naming it:
// "a -> b -> a").
//
// nothing_done opens the error's hint with what the calling command therefore
// did not do ("Nothing was seeded.", "Nothing was rolled back."); leave it
// empty for a command that only reads (status).
std::vector<const Seed*> order_for_environment(const SeedSet& set, const std::string& environment,
                                               const std::string& nothing_done = {});

// The same over every seed of the set, whatever its environments (for status,
// which is not tied to one environment).
std::vector<const Seed*> order_all(const SeedSet& set, const std::string& nothing_done = {});

}  // namespace sm::seed
