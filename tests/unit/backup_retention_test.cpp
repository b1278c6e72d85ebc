// Unit tests for src/backup/retention.{hpp,cpp}: which backups `backup prune` deletes.

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "backup/retention.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_retention_test {

using namespace std::chrono_literals;
using sm::backup::BackupState;
using sm::backup::decide_retention;
using sm::backup::Manifest;
using sm::backup::RetentionDecision;
using sm::backup::RetentionPolicy;

namespace {

// 2026-11-30T00:00:00Z
constexpr std::chrono::system_clock::time_point k_now =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 30};

Manifest backup(const std::string& id, const std::string& finished_at,
                BackupState state = BackupState::complete, const std::string& database = "app",
                const std::string& sysid = "7300000000000000001") {
    Manifest m;
    m.id = id;
    m.state = state;
    m.started_at = finished_at;
    m.finished_at = finished_at;
    m.source.database = database;
    m.source.system_identifier = sysid;
    return m;
}

RetentionPolicy policy(std::optional<int> keep_last, std::optional<int> keep_days) {
    RetentionPolicy p;
    p.keep_last = keep_last;
    if (keep_days) {
        p.keep_for = std::chrono::hours{*keep_days * 24};
    }
    return p;
}

std::map<std::string, RetentionDecision> by_id(const std::vector<RetentionDecision>& ds) {
    std::map<std::string, RetentionDecision> out;
    for (const auto& d : ds) {
        out[d.id] = d;
    }
    return out;
}

}  // namespace

TEST_CASE("retention: one decision per manifest in the order given", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("c", "2026-11-03T00:00:00Z"),
        backup("a", "2026-11-01T00:00:00Z"),
        backup("b", "2026-11-02T00:00:00Z"),
    };
    auto ds = decide_retention(in, policy(1, std::nullopt), k_now);
    REQUIRE(ds.size() == 3);
    CHECK(ds[0].id == "c");
    CHECK(ds[1].id == "a");
    CHECK(ds[2].id == "b");
    CHECK(ds[0].keep);
    CHECK_FALSE(ds[1].keep);
    CHECK_FALSE(ds[2].keep);
    CHECK(decide_retention({}, policy(3, 7), k_now).empty());
}

TEST_CASE("retention: keep_last keeps the N newest usable backups", "[backup][retention]") {
    std::vector<Manifest> in;
    for (int day = 1; day <= 5; ++day) {
        in.push_back(backup("b" + std::to_string(day),
                            "2026-11-0" + std::to_string(day) + "T12:00:00.000Z"));
    }
    auto d = by_id(decide_retention(in, policy(3, std::nullopt), k_now));
    CHECK(d["b5"].keep);
    CHECK(d["b4"].keep);
    CHECK(d["b3"].keep);
    CHECK(d["b5"].reason == "among the 3 newest");
    CHECK_FALSE(d["b2"].keep);
    CHECK_FALSE(d["b1"].keep);
    CHECK(d["b1"].reason == "not among the 3 newest");
}

TEST_CASE("retention: failed backups never count toward keep_last", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("c1", "2026-11-01T00:00:00Z"),
        backup("c2", "2026-11-02T00:00:00Z"),
        backup("c3", "2026-11-03T00:00:00Z"),
        backup("f1", "2026-11-04T00:00:00Z", BackupState::failed),
        backup("f2", "2026-11-05T00:00:00Z", BackupState::failed),
    };
    auto d = by_id(decide_retention(in, policy(3, std::nullopt), k_now));
    CHECK(d["c1"].keep);
    CHECK(d["c2"].keep);
    CHECK(d["c3"].keep);
    CHECK_FALSE(d["f1"].keep);
    CHECK_FALSE(d["f2"].keep);
    CHECK(d["f1"].reason == "failed");
    CHECK(d["f2"].reason == "failed");
}

TEST_CASE("retention: failed backups are deleted whatever the policy unless pinned",
          "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("f1", "2026-11-29T23:00:00Z", BackupState::failed),
        backup("f2", "2026-11-29T23:30:00Z", BackupState::failed),
    };
    in[1].pinned = true;
    for (const auto& p : {policy(std::nullopt, std::nullopt), policy(10, 30), policy(10, 0)}) {
        auto d = by_id(decide_retention(in, p, k_now));
        CHECK_FALSE(d["f1"].keep);
        CHECK(d["f1"].reason == "failed");
        CHECK(d["f2"].keep);
        CHECK(d["f2"].reason == "pinned");
    }
}

TEST_CASE("retention: the newest verified backup is kept even when old and beyond keep_last",
          "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("v-old", "2026-01-01T00:00:00Z", BackupState::verified),
        backup("v-newer", "2026-02-01T00:00:00Z", BackupState::verified),
        backup("c1", "2026-11-27T00:00:00Z"),
        backup("c2", "2026-11-28T00:00:00Z"),
        backup("c3", "2026-11-29T00:00:00Z"),
    };
    auto d = by_id(decide_retention(in, policy(2, 1), k_now));
    CHECK(d["v-newer"].keep);
    CHECK(d["v-newer"].reason == "newest verified");
    CHECK_FALSE(d["v-old"].keep);  // only the newest verified one is protected
    CHECK(d["c3"].keep);
    CHECK(d["c2"].keep);
    CHECK_FALSE(d["c1"].keep);
    CHECK(d["c1"].reason == "older than 1 day and not among the 2 newest");

    // keep_last 0: the newest verified one still stays.
    auto z = by_id(decide_retention(in, policy(0, std::nullopt), k_now));
    CHECK(z["v-newer"].keep);
    CHECK_FALSE(z["v-old"].keep);
    CHECK_FALSE(z["c3"].keep);
}

TEST_CASE("retention: a verified backup counts toward keep_last like a complete one",
          "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("c1", "2026-11-01T00:00:00Z"),
        backup("v2", "2026-11-02T00:00:00Z", BackupState::verified),
        backup("c3", "2026-11-03T00:00:00Z"),
    };
    auto d = by_id(decide_retention(in, policy(2, std::nullopt), k_now));
    CHECK(d["c3"].keep);
    CHECK(d["v2"].keep);
    CHECK(d["v2"].reason == "newest verified");  // first applicable reason
    CHECK_FALSE(d["c1"].keep);
}

TEST_CASE("retention: pinned backups are kept", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("old-pinned", "2025-01-01T00:00:00Z"),
        backup("c1", "2026-11-28T00:00:00Z"),
        backup("c2", "2026-11-29T00:00:00Z"),
    };
    in[0].pinned = true;
    auto d = by_id(decide_retention(in, policy(1, 1), k_now));
    CHECK(d["old-pinned"].keep);
    CHECK(d["old-pinned"].reason == "pinned");
    CHECK(d["c2"].keep);
    CHECK_FALSE(d["c1"].keep);
}

TEST_CASE("retention: a pinned backup takes a keep_last slot", "[backup][retention]") {
    // Pinned usable backups are still usable; they are among the newest too.
    std::vector<Manifest> in = {
        backup("c1", "2026-11-01T00:00:00Z"),
        backup("c2", "2026-11-02T00:00:00Z"),
        backup("c3", "2026-11-03T00:00:00Z"),
    };
    in[2].pinned = true;
    auto d = by_id(decide_retention(in, policy(2, std::nullopt), k_now));
    CHECK(d["c3"].keep);
    CHECK(d["c3"].reason == "pinned");
    CHECK(d["c2"].keep);
    CHECK_FALSE(d["c1"].keep);
}

TEST_CASE("retention: keep_last and keep_for are a union", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("old1", "2026-10-01T00:00:00Z"),   backup("old2", "2026-10-02T00:00:00Z"),
        backup("old3", "2026-10-03T00:00:00Z"),   backup("young1", "2026-11-25T00:00:00Z"),
        backup("young2", "2026-11-26T00:00:00Z"), backup("young3", "2026-11-27T00:00:00Z"),
    };

    // Three young ones exceed keep_last 2: keep_for keeps the third.
    auto d = by_id(decide_retention(in, policy(2, 7), k_now));
    CHECK(d["young3"].keep);
    CHECK(d["young3"].reason == "among the 2 newest");
    CHECK(d["young2"].keep);
    CHECK(d["young1"].keep);
    CHECK(d["young1"].reason == "younger than 7 days");
    CHECK_FALSE(d["old3"].keep);
    CHECK(d["old3"].reason == "older than 7 days and not among the 2 newest");
    CHECK_FALSE(d["old1"].keep);

    // keep_last 5 reaches into the old ones that keep_for would drop.
    auto e = by_id(decide_retention(in, policy(5, 7), k_now));
    CHECK(e["old3"].keep);
    CHECK(e["old2"].keep);
    CHECK(e["old2"].reason == "among the 5 newest");
    CHECK_FALSE(e["old1"].keep);

    // keep_for alone.
    auto f = by_id(decide_retention(in, policy(std::nullopt, 7), k_now));
    CHECK(f["young1"].keep);
    CHECK(f["young3"].reason == "younger than 7 days");
    CHECK_FALSE(f["old3"].keep);
    CHECK(f["old3"].reason == "older than 7 days");
}

TEST_CASE("retention: keep_for measures age from the finish time", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("just-inside", "2026-11-23T00:00:00.001Z"),
        backup("exactly", "2026-11-23T00:00:00Z"),
        backup("just-outside", "2026-11-22T23:59:59.999Z"),
    };
    auto d = by_id(decide_retention(in, policy(std::nullopt, 7), k_now));
    CHECK(d["just-inside"].keep);
    CHECK_FALSE(d["exactly"].keep);
    CHECK_FALSE(d["just-outside"].keep);

    RetentionPolicy hours;
    hours.keep_for = std::chrono::hours{36};
    auto h = by_id(decide_retention({backup("x", "2026-11-28T00:00:00Z")}, hours, k_now));
    CHECK_FALSE(h["x"].keep);
    CHECK(h["x"].reason == "older than 36 hours");
}

TEST_CASE("retention: with no policy every usable backup is kept", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("ancient", "2020-01-01T00:00:00Z"),
        backup("c1", "2026-11-01T00:00:00Z"),
        backup("v1", "2026-11-02T00:00:00Z", BackupState::verified),
        backup("f1", "2026-11-03T00:00:00Z", BackupState::failed),
    };
    auto ds = decide_retention(in, RetentionPolicy{}, k_now);
    auto d = by_id(ds);
    CHECK(d["ancient"].keep);
    CHECK(d["c1"].keep);
    CHECK(d["v1"].keep);
    CHECK_FALSE(d["f1"].keep);
    for (const auto& x : ds) {
        CHECK_FALSE(x.reason.empty());
    }
}

TEST_CASE("retention: backups in progress are always kept", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("running", "", BackupState::running),
        backup("c1", "2026-11-01T00:00:00Z"),
        backup("c2", "2026-11-02T00:00:00Z"),
    };
    auto d = by_id(decide_retention(in, policy(1, std::nullopt), k_now));
    CHECK(d["running"].keep);
    CHECK(d["running"].reason == "in progress");
    // A running backup is not usable, so it takes no keep_last slot.
    CHECK(d["c2"].keep);
    CHECK_FALSE(d["c1"].keep);
}

TEST_CASE("retention: two sources are counted separately", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("a1", "2026-11-01T00:00:00Z", BackupState::complete, "app", "111"),
        backup("a2", "2026-11-02T00:00:00Z", BackupState::complete, "app", "111"),
        backup("b1", "2026-10-01T00:00:00Z", BackupState::complete, "billing", "111"),
        // Same database name on another cluster is another source.
        backup("o1", "2026-09-01T00:00:00Z", BackupState::complete, "app", "222"),
        backup("o2", "2026-09-02T00:00:00Z", BackupState::verified, "app", "222"),
        backup("o3", "2026-09-03T00:00:00Z", BackupState::complete, "app", "222"),
    };
    auto d = by_id(decide_retention(in, policy(1, std::nullopt), k_now));
    CHECK(d["a2"].keep);
    CHECK_FALSE(d["a1"].keep);
    CHECK(d["b1"].keep);  // the newest of its source though older than a1
    CHECK(d["b1"].reason == "the newest");
    CHECK(d["o3"].keep);
    CHECK(d["o2"].keep);
    CHECK(d["o2"].reason == "newest verified");
    CHECK_FALSE(d["o1"].keep);
}

TEST_CASE("retention: newest is by finish time not by id", "[backup][retention]") {
    // Ids sort one way and finish times the other: a long backup started first
    // (smaller id) finished last.
    std::vector<Manifest> in = {
        backup("20261101T000000Z-manual", "2026-11-03T00:00:00Z"),
        backup("20261102T000000Z-manual", "2026-11-02T12:00:00Z"),
        backup("20261103T000000Z-manual", "2026-11-03T00:00:00.500Z"),
        backup("20261104T000000Z-manual", "2026-11-04T00:00:00Z"),
    };
    in[0].started_at = "2026-11-01T00:00:00Z";
    auto d = by_id(decide_retention(in, policy(3, std::nullopt), k_now));
    CHECK(d["20261104T000000Z-manual"].keep);
    CHECK(d["20261103T000000Z-manual"].keep);
    CHECK(d["20261101T000000Z-manual"].keep);
    CHECK_FALSE(d["20261102T000000Z-manual"].keep);

    // Milliseconds count: .500 is newer than the whole second before it.
    auto e = by_id(decide_retention(in, policy(2, std::nullopt), k_now));
    CHECK(e["20261103T000000Z-manual"].keep);
    CHECK_FALSE(e["20261101T000000Z-manual"].keep);

    // The newest verified one is also chosen by finish time.
    std::vector<Manifest> v = {
        backup("a-late", "2026-11-05T00:00:00Z", BackupState::verified),
        backup("z-early", "2026-11-01T00:00:00Z", BackupState::verified),
    };
    auto w = by_id(decide_retention(v, policy(0, std::nullopt), k_now));
    CHECK(w["a-late"].keep);
    CHECK_FALSE(w["z-early"].keep);
}

TEST_CASE("retention: equal finish times are ordered by id", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("b", "2026-11-01T00:00:00Z"),
        backup("c", "2026-11-01T00:00:00.000Z"),
        backup("a", "2026-11-01T00:00:00Z"),
    };
    auto d = by_id(decide_retention(in, policy(1, std::nullopt), k_now));
    CHECK(d["c"].keep);
    CHECK_FALSE(d["b"].keep);
    CHECK_FALSE(d["a"].keep);
}

TEST_CASE("retention: an unparsable finish time counts as the oldest", "[backup][retention]") {
    std::vector<Manifest> in = {
        backup("zzz-garbage", "yesterday"),
        backup("a-real", "2026-11-01T00:00:00Z"),
    };
    auto d = by_id(decide_retention(in, policy(1, 30), k_now));
    CHECK(d["a-real"].keep);
    CHECK_FALSE(d["zzz-garbage"].keep);
}

TEST_CASE("retention: the policy comes from [backup] keep_last and keep_days",
          "[backup][retention]") {
    sm::core::BackupSettings settings;
    RetentionPolicy none = sm::backup::retention_policy(settings);
    CHECK_FALSE(none.keep_last.has_value());
    CHECK_FALSE(none.keep_for.has_value());
    settings.keep_last = 3;
    settings.keep_days = 7;
    RetentionPolicy both = sm::backup::retention_policy(settings);
    CHECK(both.keep_last == 3);
    CHECK(both.keep_for == std::chrono::hours(168));
}

TEST_CASE("retention: prune decides on the catalog's readable backups only",
          "[backup][retention]") {
    sm::backup::Catalog catalog;
    catalog.root = "/backups";
    catalog.backups.push_back({"/backups/a", backup("a", "2026-11-01T00:00:00Z"), ""});
    catalog.backups.push_back({"/backups/broken", std::nullopt, "manifest checksum mismatch"});
    catalog.backups.push_back({"/backups/b", backup("b", "2026-11-02T00:00:00Z"), ""});
    auto ds = sm::backup::prune_decisions(catalog, policy(1, std::nullopt), k_now);
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].id == "a");
    CHECK_FALSE(ds[0].keep);
    CHECK(ds[1].id == "b");
    CHECK(ds[1].keep);
}

TEST_CASE(
    "retention: an incomplete remote backup is deleted only once it is older than keep_incomplete",
    "[backup][retention]") {
    sm::backup::Catalog catalog;
    catalog.root = "s3://bucket/prefix";
    auto incomplete = [](const std::string& id) {
        sm::backup::CatalogEntry e{"/cache/" + id, std::nullopt, "incomplete"};
        e.incomplete = true;
        return e;
    };
    catalog.backups.push_back(incomplete("20261128T000000Z-pre-deploy"));  // two days old
    catalog.backups.push_back(incomplete("20261129T230000Z-pre-deploy"));  // an hour old
    catalog.backups.push_back(incomplete("20261129T235959Z"));             // a second old
    catalog.backups.push_back(incomplete("not-an-id"));
    RetentionPolicy p = policy(1, std::nullopt);  // keep_incomplete: 24h by default
    auto ds = sm::backup::prune_decisions(catalog, p, k_now);
    REQUIRE(ds.size() == 4);
    CHECK_FALSE(ds[0].keep);
    CHECK(ds[0].reason == "incomplete: no manifest");
    CHECK(ds[1].keep);
    CHECK(ds[1].reason.find("started 1h 0min ago; kept for 24h 0min") != std::string::npos);
    CHECK(ds[1].reason.find("[backup] keep_incomplete") != std::string::npos);
    CHECK(ds[2].keep);
    CHECK(ds[3].keep);
    CHECK(ds[3].reason.find("not a backup id") != std::string::npos);

    p.keep_incomplete = std::chrono::milliseconds(0);  // keep_incomplete = "0s"
    ds = sm::backup::prune_decisions(catalog, p, k_now);
    CHECK_FALSE(ds[1].keep);
    CHECK_FALSE(ds[2].keep);
    CHECK(ds[3].keep);
}

}  // namespace backup_retention_test
