// The process's alarms thread: tasks run at their time, again when they ask,
// never once cancelled, and cancel waits for a task that is running.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "util/alarms.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_alarms_test {

using namespace std::chrono_literals;
using sm::util::Alarms;
using Clock = Alarms::Clock;

TEST_CASE("an alarm runs at its time, and again while it asks to") {
    std::atomic<int> runs{0};
    auto t0 = Clock::now();
    std::atomic<int64_t> first_ms{-1};
    auto id = Alarms::shared().add(t0 + 30ms, [&]() -> std::optional<Clock::time_point> {
        if (runs++ == 0) {
            first_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
        }
        if (runs < 3) {
            return Clock::now() + 5ms;
        }
        return std::nullopt;
    });
    for (int i = 0; i < 200 && runs < 3; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(30ms);
    CHECK(runs == 3);
    CHECK(first_ms >= 30);
    Alarms::shared().cancel(id);  // finished: ignored
}

TEST_CASE("an alarm cancelled before its time never runs, and an earlier one still does") {
    std::atomic<int> late{0};
    std::atomic<int> early{0};
    auto later =
        Alarms::shared().add(Clock::now() + 40ms, [&]() -> std::optional<Clock::time_point> {
            ++late;
            return std::nullopt;
        });
    // Added after a later one: the thread must wake sooner for it.
    Alarms::shared().add(Clock::now() + 5ms, [&]() -> std::optional<Clock::time_point> {
        ++early;
        return std::nullopt;
    });
    std::this_thread::sleep_for(25ms);
    CHECK(early == 1);
    Alarms::shared().cancel(later);
    std::this_thread::sleep_for(60ms);
    CHECK(late == 0);
}

TEST_CASE("cancel waits for a task that is running and stops its repeats") {
    std::atomic<bool> inside{false};
    std::atomic<int> runs{0};
    auto id = Alarms::shared().add(Clock::now(), [&]() -> std::optional<Clock::time_point> {
        inside = true;
        std::this_thread::sleep_for(50ms);
        ++runs;
        inside = false;
        return Clock::now();  // again at once, until cancelled
    });
    while (!inside) {
        std::this_thread::sleep_for(1ms);
    }
    Alarms::shared().cancel(id);
    CHECK_FALSE(inside);
    int after = runs;
    std::this_thread::sleep_for(80ms);
    CHECK(runs == after);
}

}  // namespace util_alarms_test
