#pragma once
// The one way the code runs independent items in parallel: a fixed number of
// threads (the calling thread among them) take items by index, in order, from
// a shared counter.

#include <cstddef>
#include <functional>

namespace sm::util {

// The threads for jobs (0 or less: one per core), at most items and at least 1.
unsigned worker_count(int jobs, size_t items);

// Runs work(i) for every i in [0, items) on worker_count(jobs, items) threads
// and returns when every item is done. When items throw, every other item
// still runs, and then the exception of the lowest index is rethrown.
void parallel_for(size_t items, int jobs, const std::function<void(size_t)>& work);

}  // namespace sm::util
