// The statement watch driven by a scripted probe: heartbeats, the blockers it
// notes, the wait for them to be gone, the deadline.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <thread>

#include "executor/statement_watch.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace executor_statement_watch_test {

using namespace sm::executor;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Answers activity() with `m_now` and still_blocking() with `m_remaining`.
class ScriptedProbe : public BackendProbe {
  public:
    BackendActivity activity(int pid, bool with_progress) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        ++samples;
        last_pid = pid;
        BackendActivity a = m_now;
        if (!with_progress) {
            a.progress.clear();
        }
        return a;
    }
    std::vector<BlockingSession> still_blocking(const std::vector<BlockingSession>& b) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        asked = b;
        return m_remaining;
    }
    void set(BackendActivity a) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_now = std::move(a);
    }
    void set_remaining(std::vector<BlockingSession> r) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_remaining = std::move(r);
    }

    std::atomic<int> samples{0};
    std::atomic<int> last_pid{0};
    std::vector<BlockingSession> asked;

  private:
    std::mutex m_mutex;
    BackendActivity m_now;
    std::vector<BlockingSession> m_remaining;
};

BackendActivity waiting_on(std::vector<BlockingSession> blockers) {
    BackendActivity a;
    a.found = true;
    a.state = "active";
    a.wait_event_type = "Lock";
    a.wait_event = "relation";
    a.blockers = std::move(blockers);
    return a;
}

WatchSettings fast(std::chrono::milliseconds heartbeat = 0ms) {
    WatchSettings s;
    s.heartbeat = heartbeat;
    s.poll = 5ms;
    return s;
}

}  // namespace

TEST_CASE("heartbeat_line says how long, what it waits on, who blocks it and the progress") {
    BackendActivity a = waiting_on({{4242, "x"}, {4243, "y"}});
    CHECK(heartbeat_line("1_add.up.sql:3", 30s, a) ==
          "heartbeat: 1_add.up.sql:3 running for 30.0s, waiting on Lock:relation, blocked by pid "
          "4242, 4243");
    BackendActivity busy;
    busy.found = true;
    busy.state = "active";
    busy.progress = "create index: building index: scanning table: 45% (45 of 100 blocks)";
    CHECK(heartbeat_line("2_idx.up.sql:1", 90s, busy) ==
          "heartbeat: 2_idx.up.sql:1 running for 1min 30s, active; create index: building index: "
          "scanning table: 45% (45 of 100 blocks)");
    CHECK(heartbeat_line("3_x.up.sql", 1s, BackendActivity{}) ==
          "heartbeat: 3_x.up.sql running for 1.0s");
}

TEST_CASE("poll_for sees a lock wait several times before lock_timeout") {
    CHECK(poll_for(200ms) == 50ms);
    CHECK(poll_for(40ms) == 20ms);
    CHECK(poll_for(3s) == 250ms);
    CHECK(poll_for(0ms) == 250ms);
}

TEST_CASE("the watch notes each blocker once and beats on time") {
    ScriptedProbe probe;
    probe.set(waiting_on({{7, "t1"}}));
    std::mutex m;
    std::vector<std::string> lines;
    StatementWatch watch(
        probe, 99, fast(40ms),
        [&](const std::string& line) {
            std::lock_guard<std::mutex> lock(m);
            lines.push_back(line);
        },
        [] {});
    watch.start("1_a.up.sql");
    std::this_thread::sleep_for(100ms);
    watch.stop();
    CHECK(probe.last_pid == 99);
    CHECK(probe.samples >= 3);
    REQUIRE(watch.blockers().size() == 1);
    CHECK(watch.blockers()[0].pid == 7);
    CHECK(watch.blockers_known());
    std::lock_guard<std::mutex> lock(m);
    REQUIRE(lines.size() >= 1);
    CHECK(lines[0] ==
          "heartbeat: 1_a.up.sql running for 40ms, waiting on Lock:relation, blocked by pid 7");
    // Stopped: it samples no more, and a new statement starts with no blockers.
    int samples = probe.samples;
    std::this_thread::sleep_for(30ms);
    CHECK(probe.samples == samples);
    probe.set(BackendActivity{});
    watch.start("2_b.up.sql");
    watch.stop();
    CHECK(watch.blockers().empty());
    CHECK_FALSE(watch.blockers_known());
}

TEST_CASE("a blocker with no session (a prepared transaction) cannot be waited for") {
    ScriptedProbe probe;
    BackendActivity a = waiting_on({{0, "?"}});
    a.unknown_blocker = true;
    probe.set(a);
    StatementWatch watch(
        probe, 1, fast(), [](const std::string&) {}, [] {});
    watch.start("1_a.up.sql");
    std::this_thread::sleep_for(30ms);
    watch.stop();
    CHECK_FALSE(watch.blockers_known());
}

TEST_CASE("wait_for_blockers returns as soon as the blockers are gone, or at its bound") {
    ScriptedProbe probe;
    probe.set(waiting_on({{7, "t1"}}));
    StatementWatch watch(
        probe, 1, fast(), [](const std::string&) {}, [] {});
    watch.start("1_a.up.sql");
    std::this_thread::sleep_for(30ms);
    watch.stop();

    probe.set_remaining({{7, "t1"}});
    auto t0 = Clock::now();
    CHECK(watch.wait_for_blockers(80ms) == BlockerWait::timed_out);
    CHECK(Clock::now() - t0 >= 80ms);
    REQUIRE(probe.asked.size() == 1);
    CHECK(probe.asked[0].pid == 7);

    std::thread release([&] {
        std::this_thread::sleep_for(50ms);
        probe.set_remaining({});
    });
    t0 = Clock::now();
    CHECK(watch.wait_for_blockers(10s) == BlockerWait::gone);
    CHECK(Clock::now() - t0 < 2s);
    release.join();
}

TEST_CASE("the watch cancels the statement once at the deadline") {
    ScriptedProbe probe;
    std::atomic<int> cancelled{0};
    WatchSettings s = fast();
    s.deadline = Clock::now() + 30ms;
    StatementWatch watch(
        probe, 1, s, [](const std::string&) {}, [&] { ++cancelled; });
    watch.start("1_a.up.sql");
    std::this_thread::sleep_for(100ms);
    watch.stop();
    CHECK(cancelled == 1);
    CHECK(watch.cancelled_at_deadline());
}

TEST_CASE("a statement that ends before the first look costs no sample and no thread") {
    ScriptedProbe probe;
    WatchSettings s = fast();
    s.poll = 200ms;
    StatementWatch watch(
        probe, 1, s, [](const std::string&) {}, [] {});
    watch.start("0_warm.up.sql");  // the process's alarms thread exists from here on
    watch.stop();
    auto threads = [] {
        auto tasks = std::filesystem::directory_iterator("/proc/self/task");
        return std::distance(begin(tasks), end(tasks));
    };
    auto before = threads();
    watch.start("1_a.up.sql");
    CHECK(threads() == before);
    watch.stop();
    for (int i = 0; i < 1000; ++i) {
        watch.start("1_a.up.sql");
        watch.stop();
    }
    std::this_thread::sleep_for(250ms);
    CHECK(probe.samples == 0);
}

}  // namespace executor_statement_watch_test
