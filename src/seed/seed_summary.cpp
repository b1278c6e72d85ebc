#include "seed/seed_summary.hpp"

namespace sm::seed {

int64_t SeedRunSummary::total_rows() const {
    int64_t total = 0;
    for (const auto& [table, count] : rows) {
        total += count;
    }
    return total;
}

}  // namespace sm::seed
