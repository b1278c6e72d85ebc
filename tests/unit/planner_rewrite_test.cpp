// rewrite's recipes from SQL text (planner/rewrite.hpp), the proof's verdict
// (planner/rewrite_proof.hpp) and the numbering of new migrations (deploy/rewrite.hpp).
#include <catch2/catch.hpp>

#include "core/scaffold_layouts.hpp"
#include "planner/rewrite.hpp"
#include "planner/rewrite_proof.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rewrite_test {

using namespace sm::planner;
using sm::core::Phase;

namespace {

Rewrite only(const std::string& sql, const TargetFacts& facts = {}) {
    auto all = rewrite_sql("m.sql", sql, facts);
    REQUIRE(all.size() == 1);
    return all[0];
}

// The target's accounts.balance: integer NOT NULL DEFAULT 0, with one btree
// index accounts_balance_idx on index_columns.
TargetFacts integer_balance(const std::vector<std::string>& index_columns) {
    TargetFacts facts;
    facts.column = [index_columns](const std::string&, const std::string&, const std::string&) {
        ColumnFacts c;
        c.exists = true;
        c.type = "integer";
        c.not_null = true;
        c.default_sql = "0";
        c.indexes.push_back({"accounts_balance_idx", false, "btree", index_columns, true});
        return std::optional<ColumnFacts>(c);
    };
    return facts;
}

}  // namespace

TEST_CASE("SET NOT NULL becomes a NOT VALID check, its validation, then SET NOT NULL") {
    Rewrite r = only("ALTER TABLE orders ALTER COLUMN total SET NOT NULL;");
    CHECK(r.change == "orders_total_not_null");
    REQUIRE(r.steps.size() == 3);
    CHECK(r.steps[0].name == "orders_total_not_null_1_check");
    CHECK(r.steps[0].up ==
          "ALTER TABLE orders ADD CONSTRAINT orders_total_not_null CHECK (total IS NOT NULL) NOT "
          "VALID;\n");
    CHECK(r.steps[0].down ==
          "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_not_null;\n");
    CHECK(r.steps[1].up == "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_not_null;\n");
    CHECK(r.steps[2].up ==
          "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n"
          "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_not_null;\n");
    REQUIRE(r.steps[2].allows.size() == 1);
    CHECK(r.steps[2].allows[0].first == "set-not-null");
    for (const auto& s : r.steps) {
        CHECK(s.phase == Phase::expand);
        CHECK_FALSE(s.no_transaction);
    }
}

TEST_CASE("ADD FOREIGN KEY and ADD CHECK are added NOT VALID, named as PostgreSQL names them") {
    Rewrite fk = only("ALTER TABLE app.items ADD FOREIGN KEY (order_id) REFERENCES orders (id)");
    REQUIRE(fk.steps.size() == 2);
    CHECK(fk.steps[0].up ==
          "ALTER TABLE app.items ADD CONSTRAINT items_order_id_fkey FOREIGN KEY (order_id) "
          "REFERENCES orders (id) NOT VALID;\n");
    CHECK(fk.steps[1].up == "ALTER TABLE app.items VALIDATE CONSTRAINT items_order_id_fkey;\n");
    Rewrite check = only("ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)");
    REQUIRE(check.steps.size() == 2);
    CHECK(check.steps[0].up ==
          "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;\n");
    Rewrite unnamed = only("ALTER TABLE orders ADD CHECK (total > 0 AND total < 100)");
    CHECK(unnamed.steps[1].up == "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n");
    CHECK(only("ALTER TABLE orders ADD CHECK (a > b)").steps[1].up ==
          "ALTER TABLE orders VALIDATE CONSTRAINT orders_check;\n");
    // Already NOT VALID: the safe form needs nothing.
    Rewrite safe = only("ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID");
    CHECK(safe.steps.empty());
    CHECK(safe.no_recipe.empty());
}

TEST_CASE("ADD UNIQUE builds the index CONCURRENTLY, then attaches it") {
    Rewrite r = only("ALTER TABLE users ADD UNIQUE (email)");
    REQUIRE(r.steps.size() == 2);
    CHECK(r.steps[0].no_transaction);
    CHECK(r.steps[0].up ==
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\n");
    CHECK(r.steps[0].down == "DROP INDEX CONCURRENTLY IF EXISTS public.users_email_key;\n");
    CHECK(r.steps[1].up ==
          "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;\n");
}

TEST_CASE("ADD PRIMARY KEY proves its columns NOT NULL with validated checks first") {
    Rewrite r = only("ALTER TABLE events ADD PRIMARY KEY (id)");
    REQUIRE(r.steps.size() == 4);
    CHECK(r.steps[0].up ==
          "ALTER TABLE events ADD CONSTRAINT events_id_not_null CHECK (id IS NOT NULL) NOT "
          "VALID;\n");
    CHECK(r.steps[1].up == "ALTER TABLE events VALIDATE CONSTRAINT events_id_not_null;\n");
    CHECK(r.steps[2].up ==
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_pkey ON events (id);\n");
    CHECK(r.steps[3].up ==
          "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;\n"
          "ALTER TABLE events DROP CONSTRAINT IF EXISTS events_id_not_null;\n");
}

TEST_CASE("CREATE INDEX and DROP INDEX become CONCURRENTLY in a no-transaction migration") {
    Rewrite create = only("create index orders_user_idx on orders using btree (lower(email))");
    REQUIRE(create.steps.size() == 1);
    CHECK(create.steps[0].no_transaction);
    CHECK(create.steps[0].up ==
          "create index CONCURRENTLY IF NOT EXISTS orders_user_idx on orders using btree "
          "(lower(email));\n");
    CHECK(create.steps[0].down == "DROP INDEX CONCURRENTLY IF EXISTS public.orders_user_idx;\n");
    Rewrite drop = only("DROP INDEX app.orders_user_idx");
    REQUIRE(drop.steps.size() == 1);
    CHECK(drop.steps[0].up == "DROP INDEX CONCURRENTLY IF EXISTS app.orders_user_idx;\n");
    CHECK(only("CREATE INDEX ON orders (a)").no_recipe.find("without a name") != std::string::npos);
    CHECK(only("CREATE INDEX CONCURRENTLY i ON orders (a)").steps.empty());
}

TEST_CASE("an UPDATE of a whole table becomes a backfill") {
    Rewrite r = only("UPDATE users SET email_lower = lower(email)");
    REQUIRE(r.steps.size() == 1);
    CHECK(r.steps[0].phase == Phase::backfill);
    CHECK(r.steps[0].up == "UPDATE users SET email_lower = lower(email);\n");
}

TEST_CASE("a DELETE becomes a backfill without a down") {
    for (const char* sql : {"DELETE FROM logs", "DELETE FROM logs WHERE at < now() - '1 year'"}) {
        Rewrite r = only(sql);
        CHECK(r.change == "logs_delete");
        REQUIRE(r.steps.size() == 1);
        CHECK(r.steps[0].phase == Phase::backfill);
        CHECK(r.steps[0].up == std::string(sql) + ";\n");
        CHECK(r.steps[0].down.empty());
        CHECK(step_file_text(r.steps[0], r.change, false, false) ==
              "-- safe-migrate: phase=backfill\n-- safe-migrate: change=logs_delete\n-- no down "
              "file: what it deletes cannot come back, so rollback refuses it\n" +
                  std::string(sql) + ";\n");
    }
}

TEST_CASE("ADD COLUMN with a volatile DEFAULT: nullable, DEFAULT, backfill, then NOT NULL") {
    Rewrite r = only("ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT clock_timestamp()");
    CHECK(r.change == "t_at_add");
    CHECK(r.note ==
          "the DEFAULT is evaluated per row: clock_timestamp() is volatile (the linter's list of "
          "volatile functions)");
    REQUIRE(r.steps.size() == 5);
    CHECK(r.steps[0].name == "t_at_add_1_add");
    CHECK(r.steps[0].up.find("ALTER TABLE t ADD COLUMN at timestamptz;\nALTER TABLE "
                             "t ALTER COLUMN at SET DEFAULT clock_timestamp();\n") !=
          std::string::npos);
    CHECK(r.steps[0].down == "ALTER TABLE t DROP COLUMN IF EXISTS at;\n");
    CHECK(r.steps[1].phase == Phase::backfill);
    CHECK(r.steps[1].up == "UPDATE t SET at = clock_timestamp() WHERE at IS NULL;\n");
    CHECK(r.steps[2].up ==
          "ALTER TABLE t ADD CONSTRAINT t_at_not_null CHECK (at IS NOT NULL) NOT VALID;\n");
    CHECK(r.steps[3].up == "ALTER TABLE t VALIDATE CONSTRAINT t_at_not_null;\n");
    CHECK(r.steps[4].name == "t_at_add_5_set");
    CHECK(r.steps[4].up ==
          "ALTER TABLE t ALTER COLUMN at SET NOT NULL;\nALTER TABLE t DROP CONSTRAINT IF EXISTS "
          "t_at_not_null;\n");
    // Nullable: no NOT NULL steps.
    CHECK(only("ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()").steps.size() == 2);
    // A constant or stable DEFAULT needs no recipe.
    for (const char* safe : {"ALTER TABLE t ADD COLUMN n int NOT NULL DEFAULT 0",
                             "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now()"}) {
        CHECK(only(safe).steps.empty());
        CHECK(only(safe).no_recipe.empty());
    }
    // The target decides what the list does not know, and says so.
    TargetFacts facts;
    facts.function_volatile = [](const std::string& name) -> std::optional<bool> {
        if (name == "next_code") {
            return true;
        }
        return name == "lower" ? std::optional<bool>(false) : std::nullopt;
    };
    Rewrite own = only("ALTER TABLE t ADD COLUMN code text DEFAULT next_code()", facts);
    CHECK(own.note ==
          "the DEFAULT is evaluated per row: next_code() is VOLATILE (pg_proc on the "
          "target)");
    CHECK(only("ALTER TABLE t ADD COLUMN code text DEFAULT lower('A')", facts).steps.empty());
    CHECK(only("ALTER TABLE t ADD COLUMN u uuid UNIQUE DEFAULT gen_random_uuid()")
              .no_recipe.find("no recipe for ADD COLUMN with UNIQUE") != std::string::npos);
}

TEST_CASE("RENAME COLUMN: new column, two-way trigger, backfill, NOT NULL, indexes, contract") {
    TargetFacts facts = integer_balance({"balance", "id"});
    Rewrite r = only("ALTER TABLE accounts RENAME COLUMN balance TO amount", facts);
    CHECK(r.change == "accounts_balance_rename");
    REQUIRE(r.steps.size() == 7);
    CHECK(r.steps[0].up.find("ALTER TABLE accounts ADD COLUMN amount integer;\nCREATE FUNCTION "
                             "public.accounts_balance_sm_sync() RETURNS trigger") == 0);
    CHECK(r.steps[0].up.find("    IF TG_OP = 'INSERT' THEN\n        NEW.amount := "
                             "coalesce(NEW.amount, NEW.balance);\n        NEW.balance := "
                             "NEW.amount;\n    ELSIF NEW.balance IS DISTINCT FROM OLD.balance "
                             "THEN\n        NEW.amount := NEW.balance;\n    ELSIF NEW.amount IS "
                             "DISTINCT FROM OLD.amount THEN\n        NEW.balance := NEW.amount;") !=
          std::string::npos);
    CHECK(r.steps[1].phase == Phase::backfill);
    CHECK(r.steps[1].up ==
          "UPDATE accounts SET amount = balance WHERE amount IS DISTINCT FROM balance;\n");
    CHECK(r.steps[2].name == "accounts_balance_rename_3_check");
    CHECK(r.steps[4].up.find("ALTER COLUMN amount SET NOT NULL") != std::string::npos);
    CHECK(r.steps[5].no_transaction);
    CHECK(r.steps[5].up ==
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_balance_idx_sm_ren ON accounts USING "
          "btree (amount, id);\n");
    CHECK(r.steps[6].phase == Phase::contract);
    CHECK(r.steps[6].up ==
          "DROP TRIGGER IF EXISTS accounts_balance_sm_sync ON accounts;\nDROP FUNCTION IF EXISTS "
          "public.accounts_balance_sm_sync();\nALTER TABLE accounts DROP COLUMN balance;\nALTER "
          "TABLE accounts ALTER COLUMN amount SET DEFAULT 0;\nALTER INDEX "
          "public.accounts_balance_idx_sm_ren RENAME TO accounts_balance_idx;\n");
    REQUIRE(r.steps[6].allows.size() == 1);
    CHECK(r.steps[6].allows[0].first == "ban-drop-column");
    CHECK(r.steps[6].allows[0].second.find("accounts_balance_rename") != std::string::npos);

    facts.column = [](const std::string&, const std::string&, const std::string&) {
        ColumnFacts c;
        c.exists = true;
        c.type = "integer";
        c.views = {"balances"};
        return std::optional<ColumnFacts>(c);
    };
    CHECK(only("ALTER TABLE accounts RENAME COLUMN balance TO amount", facts)
              .no_recipe.find("views depend on the column (balances)") != std::string::npos);
    facts.column = [](const std::string&, const std::string&, const std::string&) {
        ColumnFacts c;
        c.exists = true;
        c.key = true;
        return std::optional<ColumnFacts>(c);
    };
    CHECK(
        only("ALTER TABLE accounts RENAME COLUMN id TO key", facts).no_recipe.find("key column") !=
        std::string::npos);
}

TEST_CASE("statements without a recipe say so with the manual path") {
    CHECK(only("ALTER TABLE t ADD EXCLUDE USING gist (r WITH &&)").no_recipe.find("downtime") !=
          std::string::npos);
    CHECK(only("ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int").no_recipe.find("split it") !=
          std::string::npos);
    CHECK(only("DELETE FROM t RETURNING id").no_recipe.find("batches") != std::string::npos);
    CHECK(only("ALTER TABLE t RENAME COLUMN a TO b").no_recipe.find("--database-url") !=
          std::string::npos);
    CHECK(only("ALTER TABLE t ADD COLUMN c int NOT NULL").no_recipe.find("no value to take") !=
          std::string::npos);
    for (const char* old : {"DELETE FROM t", "ALTER TABLE t RENAME COLUMN a TO b",
                            "ALTER TABLE t ADD COLUMN c int NOT NULL"}) {
        CHECK(only(old).no_recipe.find("no recipe yet") == std::string::npos);
    }
    CHECK(only("ALTER TABLE t ALTER COLUMN a TYPE bigint").no_recipe.find("--database-url") !=
          std::string::npos);
    Rewrite create = only("CREATE TABLE t (id int)");
    CHECK(create.steps.empty());
    CHECK(create.no_recipe.empty());
}

TEST_CASE("ALTER COLUMN TYPE: new column, sync trigger, backfill, indexes, swap, contract") {
    TargetFacts facts = integer_balance({"balance"});
    Rewrite r = only("ALTER TABLE accounts ALTER COLUMN balance TYPE bigint", facts);
    REQUIRE(r.steps.size() == 7);
    CHECK(r.change == "accounts_balance_type");
    CHECK(r.steps[0].up.find("ALTER TABLE accounts ADD COLUMN _sm_new_balance bigint;\n") == 0);
    CHECK(r.steps[0].up.find("BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW") !=
          std::string::npos);
    CHECK(r.steps[1].phase == Phase::backfill);
    CHECK(r.steps[1].up ==
          "UPDATE accounts SET _sm_new_balance = balance WHERE _sm_new_balance IS NULL AND "
          "balance IS NOT NULL;\n");
    CHECK(r.steps[2].up.find("CHECK (_sm_new_balance IS NOT NULL) NOT VALID") != std::string::npos);
    CHECK(r.steps[4].no_transaction);
    CHECK(r.steps[4].up ==
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_balance_idx_sm_new ON accounts USING "
          "btree (_sm_new_balance);\n");
    CHECK(r.steps[5].name == "accounts_balance_type_6_swap");
    CHECK(r.steps[5].up.find("RENAME COLUMN _sm_new_balance TO balance") != std::string::npos);
    CHECK(r.steps[5].up.find("ALTER COLUMN balance SET DEFAULT 0") != std::string::npos);
    // After the swap the trigger keeps the old column in step (the swap's down
    // puts it back with every write); the contract drops both.
    CHECK(r.steps[5].up.find("DROP TRIGGER IF EXISTS accounts_balance_sm_sync") == 0);
    CHECK(r.steps[5].up.find("NEW._sm_old_balance := NEW.balance;\n    EXCEPTION WHEN others "
                             "THEN\n        NEW._sm_old_balance := NULL;") != std::string::npos);
    CHECK(r.steps[5].down.find("DROP TRIGGER IF EXISTS accounts_balance_sm_sync") == 0);
    CHECK(r.steps[5].down.find("NEW._sm_new_balance := NEW.balance;") != std::string::npos);
    const std::string drops =
        "DROP TRIGGER IF EXISTS accounts_balance_sm_sync ON accounts;\nDROP FUNCTION IF EXISTS "
        "public.accounts_balance_sm_sync();\n";
    CHECK(r.steps[6].phase == Phase::contract);
    CHECK(r.steps[6].up == drops + "ALTER TABLE accounts DROP COLUMN _sm_old_balance;\n");
    CHECK(r.steps[6].down.find("NEW._sm_old_balance := NEW.balance;") != std::string::npos);
    REQUIRE(r.steps[6].allows.size() == 1);
    CHECK(r.steps[6].allows[0].first == "ban-drop-column");
    CHECK(r.steps[6].allows[0].second.find("accounts_balance_type") != std::string::npos);
    CHECK(step_file_text(r.steps[6], r.change, true, false) ==
          "-- safe-migrate: phase=contract\n-- safe-migrate: change=accounts_balance_type\n"
          "-- safe-migrate: unproven\n-- safe-migrate: allow ban-drop-column reason=\"contract "
          "of change accounts_balance_type: the old column was replaced by the swap\"\n" +
              drops + "ALTER TABLE accounts DROP COLUMN _sm_old_balance;\n");
}

TEST_CASE("ALTER COLUMN TYPE of a key column or with USING has no recipe") {
    TargetFacts facts;
    facts.column = [](const std::string&, const std::string&, const std::string&) {
        ColumnFacts c;
        c.exists = true;
        c.key = true;
        return std::optional<ColumnFacts>(c);
    };
    CHECK(only("ALTER TABLE t ALTER COLUMN id TYPE bigint", facts).no_recipe.find("key column") !=
          std::string::npos);
    CHECK(only("ALTER TABLE t ALTER COLUMN id TYPE bigint USING id::bigint", facts)
              .no_recipe.find("USING") != std::string::npos);
}

TEST_CASE("the proof refuses ACCESS EXCLUSIVE with a rewrite or a scan, and no lock_timeout") {
    sm::core::Script script;
    std::vector<ProofStep> steps = {{sm::core::Version(7), "7_swap", &script}};
    sm::core::TracedStatement rewrite;
    rewrite.version = sm::core::Version(7);
    rewrite.line = 3;
    rewrite.observed = true;
    rewrite.locks["public.t"] = "AccessExclusiveLock";
    rewrite.rewritten = {"public.t"};
    sm::core::TracedStatement scan = rewrite;
    scan.rewritten.clear();
    scan.scanned = {"public.t"};
    sm::core::TracedStatement brief = scan;
    brief.scanned.clear();
    sm::core::TracedStatement other = rewrite;  // an earlier pending migration: not judged
    other.version = sm::core::Version(6);
    using std::chrono::milliseconds;
    CHECK(proof_problems({rewrite}, steps, milliseconds(3000)) ==
          std::vector<std::string>{"7_swap line 3 rewrites public.t under ACCESS EXCLUSIVE"});
    CHECK(proof_problems({scan}, steps, milliseconds(3000)) ==
          std::vector<std::string>{"7_swap line 3 scans public.t under ACCESS EXCLUSIVE"});
    CHECK(proof_problems({brief, other}, steps, milliseconds(3000)).empty());
    CHECK(proof_problems({brief}, steps, milliseconds(0)) ==
          std::vector<std::string>{"7_swap would run without a lock_timeout"});
}

TEST_CASE("new migrations are numbered after the newest in the project's style") {
    using sm::core::Layout;
    using sm::core::scaffold::next_versions;
    using V = std::vector<std::string>;
    sm::core::MigrationSet set;
    auto now = std::chrono::system_clock::from_time_t(1767258000);  // 2026-01-01 09:00:00 UTC
    CHECK(next_versions(Layout::native, set, 2, now) == V{"20260101090000", "20260101090001"});
    sm::core::Migration m;
    m.version = sm::core::Version(12);
    m.up.path = "migrations/12_x.up.sql";
    set.migrations.push_back(m);
    CHECK(next_versions(Layout::native, set, 1, now) == V{"13"});
    m.version = sm::core::Version(7);
    m.up.path = "migrations/0007_x.up.sql";
    set.migrations = {m};
    CHECK(next_versions(Layout::native, set, 3, now) == V{"0008", "0009", "0010"});
    m.up.path = "migrations/V1.2__x.sql";
    m.version = *sm::core::Version::parse("1.2");
    set.migrations = {m};
    CHECK(next_versions(Layout::flyway, set, 2, now) == V{"1.3", "1.4"});
    m.version = sm::core::Version(20260101090500);
    m.up.path = "migrations/20260101090500_x.up.sql";
    set.migrations = {m};
    CHECK(next_versions(Layout::native, set, 2, now) == V{"20260101090501", "20260101090502"});
    CHECK(next_versions(Layout::native, set, 1, now + std::chrono::hours(1)) ==
          V{"20260101100000"});
}

}  // namespace planner_rewrite_test
