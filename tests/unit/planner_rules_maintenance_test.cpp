// Unit tests for src/planner/rules/maintenance.cpp (check_maintenance).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_maintenance_test {

using Catch::Matchers::Contains;
using sm::planner::FileState;
using sm_test::at_version;

namespace {

// Runs check_maintenance on the first statement of sql.
sm_test::Recorder run(const std::string& sql, const FileState& f = FileState{}) {
    return sm_test::run_family(sm::planner::check_maintenance, sql, f);
}

}  // namespace

TEST_CASE("DETACH PARTITION without CONCURRENTLY is flagged with a rewrite from PG 14",
          "[rules-maintenance]") {
    auto r = run("ALTER TABLE events DETACH PARTITION events_2020");
    auto found = r.of("require-concurrent-partition-detach");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("public.events") && Contains("public.events_2020"));
    CHECK_THAT(found[0].message, Contains("ACCESS EXCLUSIVE"));
    CHECK_THAT(found[0].extras.rewrite,
               Contains("ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY"));
    CHECK(found[0].extras.exempt_if_new == "public.events");
    CHECK(found[0].extras.tables ==
          std::vector<std::string>{"public.events", "public.events_2020"});
}

TEST_CASE("DETACH PARTITION before PG 14 has no CONCURRENTLY rewrite", "[rules-maintenance]") {
    auto r = run("ALTER TABLE app.events DETACH PARTITION app.events_2020", at_version(130011));
    auto found = r.of("require-concurrent-partition-detach");
    REQUIRE(found.size() == 1);
    CHECK(found[0].extras.rewrite.empty());
    CHECK_THAT(found[0].message, Contains("PostgreSQL 14") && Contains("target is 13"));
    CHECK_THAT(found[0].message, Contains("app.events_2020"));
}

TEST_CASE("DETACH PARTITION rewrite quotes names that need it", "[rules-maintenance]") {
    auto r = run("ALTER TABLE \"Events\" DETACH PARTITION s.\"Old Part\"", at_version(140000));
    auto found = r.of("require-concurrent-partition-detach");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].extras.rewrite,
               Contains("ALTER TABLE \"Events\" DETACH PARTITION s.\"Old Part\" CONCURRENTLY"));
}

TEST_CASE("DETACH PARTITION CONCURRENTLY and FINALIZE are not flagged", "[rules-maintenance]") {
    CHECK(run("ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY").all.empty());
    CHECK(run("ALTER TABLE events DETACH PARTITION events_2020 FINALIZE").all.empty());
}

TEST_CASE("ATTACH PARTITION is flagged, exempt when the partition is new", "[rules-maintenance]") {
    auto r =
        run("ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO "
            "('2025-01-01')");
    auto found = r.of("attach-partition-without-check");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("scans public.events_2024") && Contains("CHECK"));
    CHECK(found[0].extras.exempt_if_new == "public.events_2024");
    CHECK(r.of("require-concurrent-partition-detach").empty());
}

TEST_CASE("CREATE TABLE ... PARTITION OF is not an ATTACH", "[rules-maintenance]") {
    CHECK(run("CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
              "('2025-01-01')")
              .all.empty());
}

TEST_CASE("VACUUM FULL rewrites each table named", "[rules-maintenance]") {
    auto r = run("VACUUM (FULL, ANALYZE) app.orders, users");
    auto found = r.of("table-rewrite-maintenance");
    REQUIRE(found.size() == 2);
    CHECK_THAT(found[0].message,
               Contains("VACUUM FULL app.orders") && Contains("ACCESS EXCLUSIVE"));
    CHECK_THAT(found[1].message, Contains("VACUUM FULL public.users"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"app.orders"});

    auto plain = run("VACUUM FULL orders").of("table-rewrite-maintenance");
    REQUIRE(plain.size() == 1);
    CHECK_THAT(plain[0].message, Contains("public.orders"));

    auto all = run("VACUUM FULL").of("table-rewrite-maintenance");
    REQUIRE(all.size() == 1);
    CHECK_THAT(all[0].message, Contains("every table"));
}

TEST_CASE("plain VACUUM, ANALYZE and VACUUM (FULL false) are not rewrites", "[rules-maintenance]") {
    CHECK(run("VACUUM orders").all.empty());
    CHECK(run("VACUUM ANALYZE orders").all.empty());
    CHECK(run("ANALYZE orders").all.empty());
    CHECK(run("VACUUM (FULL false) orders").all.empty());
    CHECK(run("VACUUM (FULL 0) orders").all.empty());
}

TEST_CASE("CLUSTER rewrites the table", "[rules-maintenance]") {
    auto found = run("CLUSTER orders USING orders_created_idx").of("table-rewrite-maintenance");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("CLUSTER public.orders USING orders_created_idx"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});

    auto every = run("CLUSTER").of("table-rewrite-maintenance");
    REQUIRE(every.size() == 1);
    CHECK_THAT(every[0].message, Contains("every previously clustered table"));
}

TEST_CASE("ALTER TABLE rewrite forms are flagged and exempt when new", "[rules-maintenance]") {
    struct Case {
        const char* sql;
        const char* words;
    };
    for (const Case& c :
         {Case{"ALTER TABLE orders SET LOGGED", "SET LOGGED"},
          Case{"ALTER TABLE orders SET UNLOGGED", "SET UNLOGGED"},
          Case{"ALTER TABLE orders SET TABLESPACE fast_ssd", "SET TABLESPACE fast_ssd"},
          Case{"ALTER TABLE orders SET ACCESS METHOD heap2", "SET ACCESS METHOD heap2"}}) {
        INFO(c.sql);
        auto found = run(c.sql).of("table-rewrite-maintenance");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains(c.words) && Contains("rewrites public.orders"));
        CHECK(found[0].extras.exempt_if_new == "public.orders");
    }
    auto idx =
        run("ALTER INDEX orders_pkey SET TABLESPACE fast_ssd").of("table-rewrite-maintenance");
    REQUIRE(idx.size() == 1);
    CHECK_THAT(idx[0].message,
               Contains("ALTER INDEX public.orders_pkey") && Contains("rewrites the index"));
}

TEST_CASE("ALTER TABLE ALL IN TABLESPACE moves every relation", "[rules-maintenance]") {
    auto found = run("ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast")
                     .of("table-rewrite-maintenance");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("ALL IN TABLESPACE slow SET TABLESPACE fast"));
}

TEST_CASE("ALTER TABLE without a rewrite form is not maintenance", "[rules-maintenance]") {
    CHECK(run("ALTER TABLE orders ADD COLUMN note text").all.empty());
    CHECK(run("ALTER TABLE orders SET (fillfactor = 70)").all.empty());
    CHECK(run("ALTER TABLE orders SET WITHOUT CLUSTER").all.empty());
}

TEST_CASE("REFRESH MATERIALIZED VIEW without CONCURRENTLY", "[rules-maintenance]") {
    auto found =
        run("REFRESH MATERIALIZED VIEW reports.daily_totals").of("refresh-matview-concurrently");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("reports.daily_totals") && Contains("ACCESS EXCLUSIVE"));
    CHECK_THAT(found[0].extras.rewrite,
               Contains("REFRESH MATERIALIZED VIEW CONCURRENTLY reports.daily_totals"));
    CHECK(found[0].extras.exempt_if_new == "reports.daily_totals");

    auto nodata = run("REFRESH MATERIALIZED VIEW daily_totals WITH NO DATA")
                      .of("refresh-matview-concurrently");
    REQUIRE(nodata.size() == 1);
    CHECK_THAT(nodata[0].message, Contains("WITH NO DATA") && Contains("unreadable"));
    CHECK(nodata[0].extras.rewrite.empty());

    CHECK(run("REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals").all.empty());
}

TEST_CASE("LOCK TABLE names the mode", "[rules-maintenance]") {
    auto ae = run("LOCK TABLE orders").of("explicit-lock-or-trigger-ddl");
    REQUIRE(ae.size() == 1);
    CHECK_THAT(ae[0].message, Contains("LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE"));
    CHECK_THAT(ae[0].message, Contains("plain SELECT"));
    CHECK(ae[0].extras.exempt_if_new == "public.orders");

    auto two = run("LOCK TABLE orders, app.items IN SHARE ROW EXCLUSIVE MODE")
                   .of("explicit-lock-or-trigger-ddl");
    REQUIRE(two.size() == 2);
    CHECK_THAT(two[0].message, Contains("public.orders IN SHARE ROW EXCLUSIVE MODE"));
    CHECK_THAT(two[1].message, Contains("app.items IN SHARE ROW EXCLUSIVE MODE"));

    auto share = run("LOCK orders IN SHARE MODE").of("explicit-lock-or-trigger-ddl");
    REQUIRE(share.size() == 1);
    CHECK_THAT(share[0].message, Contains("IN SHARE MODE") && Contains("all writes"));

    auto exc = run("LOCK orders IN EXCLUSIVE MODE").of("explicit-lock-or-trigger-ddl");
    REQUIRE(exc.size() == 1);
    CHECK_THAT(exc[0].message, Contains("IN EXCLUSIVE MODE"));
}

TEST_CASE("LOCK TABLE in a weak mode is not flagged", "[rules-maintenance]") {
    CHECK(run("LOCK TABLE orders IN ACCESS SHARE MODE").all.empty());
    CHECK(run("LOCK TABLE orders IN ROW SHARE MODE").all.empty());
    CHECK(run("LOCK TABLE orders IN ROW EXCLUSIVE MODE").all.empty());
    CHECK(run("LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE").all.empty());
}

TEST_CASE("CREATE TRIGGER takes SHARE ROW EXCLUSIVE, exempt on a new table",
          "[rules-maintenance]") {
    auto found = run("CREATE TRIGGER orders_audit AFTER UPDATE ON app.orders FOR EACH ROW EXECUTE "
                     "FUNCTION audit()")
                     .of("explicit-lock-or-trigger-ddl");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("CREATE TRIGGER orders_audit ON app.orders") &&
                                     Contains("SHARE ROW EXCLUSIVE"));
    CHECK(found[0].extras.exempt_if_new == "app.orders");

    auto replace = run("CREATE OR REPLACE TRIGGER t1 BEFORE INSERT ON orders FOR EACH ROW EXECUTE "
                       "FUNCTION f()")
                       .of("explicit-lock-or-trigger-ddl");
    REQUIRE(replace.size() == 1);
    CHECK_THAT(replace[0].message, Contains("CREATE OR REPLACE TRIGGER t1 ON public.orders"));
}

TEST_CASE("DROP TRIGGER takes ACCESS EXCLUSIVE on its table", "[rules-maintenance]") {
    auto found =
        run("DROP TRIGGER IF EXISTS orders_audit ON app.orders").of("explicit-lock-or-trigger-ddl");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message,
               Contains("DROP TRIGGER orders_audit ON app.orders") && Contains("ACCESS EXCLUSIVE"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"app.orders"});

    auto unqualified =
        run("DROP TRIGGER orders_audit ON orders").of("explicit-lock-or-trigger-ddl");
    REQUIRE(unqualified.size() == 1);
    CHECK_THAT(unqualified[0].message, Contains("ON public.orders"));
}

TEST_CASE("other DROP statements are not trigger DDL", "[rules-maintenance]") {
    CHECK(run("DROP FUNCTION audit()").all.empty());
    CHECK(run("DROP INDEX orders_idx").of("explicit-lock-or-trigger-ddl").empty());
}

TEST_CASE("ALTER TABLE ENABLE/DISABLE TRIGGER is trigger DDL", "[rules-maintenance]") {
    auto found =
        run("ALTER TABLE orders DISABLE TRIGGER orders_audit, ENABLE ALWAYS TRIGGER orders_sync")
            .of("explicit-lock-or-trigger-ddl");
    REQUIRE(found.size() == 2);
    CHECK_THAT(found[0].message,
               Contains("DISABLE TRIGGER orders_audit") && Contains("SHARE ROW EXCLUSIVE"));
    CHECK_THAT(found[1].message, Contains("ENABLE ALWAYS TRIGGER orders_sync"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");

    // ban-disable-triggers (integrity.cpp) says what ALL does to foreign keys.
    auto all = run("ALTER TABLE orders DISABLE TRIGGER ALL").of("explicit-lock-or-trigger-ddl");
    REQUIRE(all.size() == 1);
    CHECK(all[0].extras.lock == sm::planner::LockLevel::share_row_exclusive);

    CHECK(run("ALTER TABLE orders ENABLE ROW LEVEL SECURITY").all.empty());
}

TEST_CASE("unrelated statements produce nothing", "[rules-maintenance]") {
    CHECK(run("SELECT 1").all.empty());
    CHECK(run("CREATE INDEX orders_idx ON orders (created_at)").all.empty());
    CHECK(run("UPDATE orders SET total = 0").all.empty());
}

TEST_CASE("trigger DDL and LOCK TABLE carry the statement's own lock", "[rules-maintenance]") {
    using sm::planner::LockLevel;
    auto create = run("CREATE TRIGGER t AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION f()")
                      .of("explicit-lock-or-trigger-ddl");
    REQUIRE(create.size() == 1);
    CHECK(create[0].extras.lock == LockLevel::share_row_exclusive);
    auto drop = run("DROP TRIGGER t ON orders").of("explicit-lock-or-trigger-ddl");
    REQUIRE(drop.size() == 1);
    CHECK(drop[0].extras.lock == LockLevel::access_exclusive);
    auto lock = run("LOCK orders IN SHARE MODE").of("explicit-lock-or-trigger-ddl");
    REQUIRE(lock.size() == 1);
    CHECK(lock[0].extras.lock == LockLevel::share);
}

TEST_CASE("a sync trigger under its own lock_timeout, alone in its transaction, is quiet",
          "[rules-maintenance]") {
    const std::string create =
        "CREATE TRIGGER orders_sync BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE "
        "FUNCTION orders_sync()";
    FileState f;
    f.lock_timeout_ms = 2000;
    CHECK(run(create, f).all.empty());
    CHECK(run("DROP TRIGGER orders_sync ON orders", f).all.empty());

    FileState after_alter = f;  // the transaction already holds a strong lock
    after_alter.tx.strong_locked.insert("public.orders");
    CHECK(run(create, after_alter).of("explicit-lock-or-trigger-ddl").size() == 1);

    FileState no_timeout;  // the runner's timeout is not the file's own
    CHECK(run(create, no_timeout).of("explicit-lock-or-trigger-ddl").size() == 1);
    FileState forever = f;
    forever.lock_timeout_ms = 0;
    CHECK(run(create, forever).of("explicit-lock-or-trigger-ddl").size() == 1);

    // An explicit LOCK TABLE means to hold the lock: still flagged.
    CHECK(run("LOCK TABLE orders", f).of("explicit-lock-or-trigger-ddl").size() == 1);
}

}  // namespace planner_rules_maintenance_test
