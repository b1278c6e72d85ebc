// The databases swaps keep: their names, their times, which prune drops.
#include <catch2/catch.hpp>

#include "backup/pre_restore.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_pre_restore_test {

using namespace sm::backup;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

TEST_CASE("pre-restore names carry the time of the swap", "[pre_restore]") {
    Clock::time_point at = Clock::from_time_t(1764988200);  // 2025-12-06T02:30:00Z
    std::string name = pre_restore_name("app", at);
    CHECK(name == "app_pre_restore_20251206t023000z");
    CHECK(pre_restore_time("app", name) == at);
    CHECK_FALSE(pre_restore_time("app", "app_pre_restore_notastamp12345"));
    CHECK_FALSE(pre_restore_time("app", "apple_pre_restore_20251206t023000z"));
    CHECK_FALSE(pre_restore_time("ap", name));
    // Long names are cut to 40 bytes, as the swap names them.
    std::string long_name(50, 'x');
    CHECK(pre_restore_time(long_name, pre_restore_name(long_name, at)) == at);
}

TEST_CASE("prune drops pre-restore databases older than keep_pre_restore, or all",
          "[pre_restore]") {
    Clock::time_point now = Clock::from_time_t(1764988200);
    std::vector<PreRestoreDatabase> dbs = {{"app_pre_restore_old", now - 8 * 24h, 10},
                                           {"app_pre_restore_new", now - 1h, 10}};
    auto none = decide_pre_restore(dbs, std::nullopt, false, now);
    CHECK_FALSE(none[0].drop);
    CHECK(none[0].reason == "no keep_pre_restore");
    auto aged = decide_pre_restore(dbs, std::chrono::milliseconds(7 * 24h), false, now);
    CHECK(aged[0].drop);
    CHECK(aged[0].reason.rfind("older than ", 0) == 0);
    CHECK_FALSE(aged[1].drop);
    auto all = decide_pre_restore(dbs, std::chrono::milliseconds(7 * 24h), true, now);
    CHECK(all[0].drop);
    CHECK(all[1].drop);
}

}  // namespace backup_pre_restore_test
