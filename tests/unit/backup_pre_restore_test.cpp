// The databases swaps keep: their names, their times, which prune drops.
#include <catch2/catch.hpp>

#include "backup/pre_restore.hpp"
#include "support/fake_session.hpp"

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
    // Long names are cut so that the whole name, with the largest ordinal,
    // fits PostgreSQL's 63 bytes (it would cut a longer one, stamp and all).
    std::string long_name(50, 'x');
    CHECK(pre_restore_name(long_name, at, 99).size() == 63);
    CHECK(pre_restore_time(long_name, pre_restore_name(long_name, at)) == at);
    CHECK(pre_restore_time(long_name, pre_restore_name(long_name, at, 99)) == at);
    // ... and never inside a UTF-8 character (each "é" is two bytes).
    std::string accented;
    for (int i = 0; i < 20; ++i) {
        accented += "\xc3\xa9";
    }
    CHECK(pre_restore_name(accented, at).rfind(accented.substr(0, 30) + "_pre_restore_", 0) == 0);
}

TEST_CASE("a second swap within the same second gets the next ordinal", "[pre_restore]") {
    Clock::time_point at = Clock::from_time_t(1764988200);
    CHECK(pre_restore_name("app", at, 2) == "app_pre_restore_20251206t023000z_2");
    CHECK(pre_restore_time("app", "app_pre_restore_20251206t023000z_2") == at);
    CHECK(pre_restore_time("app", "app_pre_restore_20251206t023000z_99") == at);
    for (const char* bad : {"_1", "_0", "_02", "_100", "_x", "_", "x"}) {
        INFO(bad);
        CHECK_FALSE(pre_restore_time("app", std::string("app_pre_restore_20251206t023000z") + bad));
    }

    sm::test::FakeDatabase fake;
    auto session = fake.connect("");
    CHECK(unused_pre_restore_name(*session, "app", at) == "app_pre_restore_20251206t023000z");
    // The server has the first two already: the swap takes the third.
    fake.answer("FROM pg_database", sm::test::column({"app_pre_restore_20251206t023000z",
                                                      "app_pre_restore_20251206t023000z_2"}));
    CHECK(unused_pre_restore_name(*session, "app", at) == "app_pre_restore_20251206t023000z_3");
    std::vector<sm::db::Value> all;
    for (int n = 1; n <= 99; ++n) {
        all.emplace_back(pre_restore_name("app", at, n));
    }
    fake.answer("FROM pg_database", sm::test::column(all));
    CHECK_THROWS_WITH(unused_pre_restore_name(*session, "app", at),
                      Catch::Contains("99 databases named app_pre_restore_20251206t023000z"));
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
