#include "util/worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace sm::util {

unsigned worker_count(int jobs, size_t items) {
    if (items <= 1) {
        return 1;
    }
    // hardware_concurrency reads /sys on every call: once is enough.
    static const unsigned k_cores = std::max(1U, std::thread::hardware_concurrency());
    unsigned threads = jobs > 0 ? static_cast<unsigned>(jobs) : k_cores;
    return static_cast<unsigned>(std::min<size_t>(threads, items));
}

void parallel_for(size_t items, int jobs, const std::function<void(size_t)>& work) {
    std::vector<std::exception_ptr> errors(items);
    std::atomic<size_t> next{0};
    auto drain = [&] {
        for (size_t i = next++; i < items; i = next++) {
            try {
                work(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < worker_count(jobs, items); ++t) {
        pool.emplace_back(drain);
    }
    drain();
    for (auto& t : pool) {
        t.join();
    }
    for (const auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

}  // namespace sm::util
