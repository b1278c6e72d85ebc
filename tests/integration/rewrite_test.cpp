// safe-migrate rewrite: recipes written, proven and applied on a table with
// rows while a writer runs; the end schema is the original statement's and no
// write is lost; unproven steps proven at plan time; no-recipe messages; the
// lint hint.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace rewrite_test {

using namespace sm::test;
using Catch::Matchers::Contains;

namespace {

constexpr const char* k_schema =
    "CREATE TABLE customers (id bigint PRIMARY KEY);"
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, customer_id bigint, "
    "balance integer NOT NULL DEFAULT 0, note text, code text);"
    "CREATE INDEX accounts_balance_idx ON accounts (balance);"
    "INSERT INTO customers SELECT g FROM generate_series(1, 100) g;"
    "INSERT INTO accounts (customer_id, balance, note, code) "
    "SELECT g % 100 + 1, g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' END, 'c' || g "
    "FROM generate_series(1, 3000) g";

// One statement of each recipe, in an order that works.
constexpr const char* k_original =
    "UPDATE accounts SET note = coalesce(note, 'none');\n"
    "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;\n"
    "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL;\n"
    "ALTER TABLE accounts ADD CONSTRAINT accounts_customer_fkey FOREIGN KEY (customer_id) "
    "REFERENCES customers (id);\n"
    "ALTER TABLE accounts ADD CHECK (balance >= 0);\n"
    "ALTER TABLE accounts ADD UNIQUE (code);\n"
    "CREATE INDEX accounts_customer_idx ON accounts (customer_id);\n";

// The facts about accounts that the original statements decide, column order aside.
std::string schema_facts(const TestDatabase& db) {
    std::string out;
    const char* queries[] = {
        "SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
        "coalesce(column_default, '-') FROM information_schema.columns "
        "WHERE table_name = 'accounts' ORDER BY column_name",
        "SELECT conname || ' ' || contype::text || ' ' || convalidated::text || ' ' || "
        "pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'accounts'::regclass "
        "ORDER BY conname",
        "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = 'accounts' "
        "ORDER BY indexname",
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal",
        "SELECT proname FROM pg_proc WHERE proname LIKE '%sm_sync%'",
    };
    for (const char* q : queries) {
        for (const auto& row : db.query(q).rows) {
            out += row[0].value_or("NULL") + "\n";
        }
        out += "--\n";
    }
    return out;
}

// Inserts rows and adds to balances on its own connection until stopped.
struct Writer {
    explicit Writer(const TestDatabase& db, std::string column = "balance")
        : m_session(db.connect("writer")), m_column(std::move(column)) {
        m_thread = std::thread([this] { run(); });
    }
    void stop() {
        m_stop = true;
        m_thread.join();
    }
    void run() {
        try {
            write_until_stopped();
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    void write_until_stopped() {
        while (!m_stop) {
            int64_t n = ++inserted;
            m_session->exec("INSERT INTO accounts (customer_id, " + m_column +
                            ", note, code) VALUES (" + std::to_string(n % 100 + 1) +
                            ", 5, 'w', 'w" + std::to_string(n) + "')");
            m_session->exec("UPDATE accounts SET " + m_column + " = " + m_column +
                            " + 1 WHERE id = " + std::to_string(n * 7 % 3000 + 1));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    std::unique_ptr<sm::db::Session> m_session;
    std::string m_column;  // the balance column's name, as this writer knows it
    std::atomic<bool> m_stop{false};
    std::atomic<int64_t> inserted{0};
    std::string error;  // why the writer stopped early
    std::thread m_thread;
};

// Runs the tool while writer writes (from 200 ms before to 200 ms after), then
// stops the writer.
ToolRun run_while_writing(Writer& writer, const std::vector<std::string>& args) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto run = run_tool(args);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    writer.stop();
    return run;
}

}  // namespace

TEST_CASE(
    "rewrite --write then execute --through contract under a writer gives the original's "
    "schema and loses no write") {
    TestDatabase db;
    TestDatabase reference;
    db.query(k_schema);
    reference.query(k_schema);
    reference.query(k_original);
    Project p;
    p.write_config("");
    p.migration("1_base.up.sql", "SELECT 1;\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    std::ofstream(p.dir() / "original.sql") << k_original;

    auto rewrite =
        run_tool(p.args(db, {"rewrite", (p.dir() / "original.sql").string(), "--write"}));
    INFO(rewrite.all());
    REQUIRE(rewrite.exit_code == 0);
    CHECK_THAT(rewrite.out, Contains("proven on a copy of the target's schema"));
    CHECK_THAT(rewrite.out, Contains("change accounts_balance_type, 7 migration(s):"));
    CHECK_THAT(rewrite.out, Contains("is left untouched: delete it"));
    CHECK_THAT(rewrite.out, Contains("2_accounts_update_1_backfill (backfill)"));

    // The gate (lint under the default policy) accepts every written step.
    auto lint = run_tool(p.args({"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);

    int64_t before = std::stoll(db.scalar("SELECT sum(balance) FROM accounts"));
    Writer writer(db);
    auto run = run_while_writing(writer, p.args(db, {"execute", "--through", "contract"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);

    CHECK(writer.error.empty());
    int64_t n = writer.inserted;
    CHECK(db.scalar("SELECT count(*) FROM accounts") == std::to_string(3000 + n));
    CHECK(db.scalar("SELECT sum(balance) FROM accounts") == std::to_string(before + 6 * n));
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE note IS NULL") == "0");
    CHECK(schema_facts(db) == schema_facts(reference));
}

TEST_CASE("rewrite without a database writes unproven steps that plan and execute prove first") {
    TestDatabase db;
    db.query("CREATE TABLE t (id int PRIMARY KEY, x int, y int)");
    db.query("INSERT INTO t SELECT g, g, g FROM generate_series(1, 100) g");
    Project p;
    p.write_config("");
    p.migration("1_base.up.sql", "SELECT 1;\n");
    std::ofstream(p.dir() / "original.sql") << "ALTER TABLE t ALTER COLUMN x SET NOT NULL;\n";

    auto rewrite = run_tool(p.args({"rewrite", (p.dir() / "original.sql").string(), "--write"}));
    INFO(rewrite.all());
    REQUIRE(rewrite.exit_code == 0);
    CHECK_THAT(rewrite.out, Contains("unproven (no database)"));
    CHECK_THAT(sm::util::read_file(p.migrations() / "2_t_x_not_null_1_check.up.sql"),
               Contains("-- safe-migrate: unproven\n"));

    auto plan = run_tool(p.args(db, {"plan"}));
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    CHECK_THAT(plan.err, Contains("proof: 3 unproven migration(s) proven"));

    // An unproven step that rewrites the table is refused by plan and execute.
    p.migration("5_retype.up.sql",
                "-- safe-migrate: unproven\nALTER TABLE t ALTER COLUMN y TYPE bigint;\n");
    auto refused = run_tool(p.args(db, {"plan"}));
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK_THAT(refused.err, Contains("5_retype line 2 rewrites public.t under ACCESS EXCLUSIVE"));
    auto execute = run_tool(p.args(db, {"execute"}));
    INFO(execute.all());
    CHECK(execute.exit_code == 4);
    CHECK_THAT(execute.err, Contains("5_retype line 2 rewrites public.t"));
    CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 't_x_not_null'") == "0");
}

TEST_CASE("rewrite --write in a golang-migrate project keeps its zero-padded numbering") {
    Project p;
    p.write_config("layout = \"golang-migrate\"\n");
    p.migration("000003_base.up.sql", "CREATE TABLE t (id int PRIMARY KEY, x int);\n");
    p.migration("000003_base.down.sql", "DROP TABLE t;\n");
    std::ofstream(p.dir() / "original.sql") << "DELETE FROM t WHERE x < 0;\n";
    auto rewrite = run_tool(p.args({"rewrite", (p.dir() / "original.sql").string(), "--write"}));
    INFO(rewrite.all());
    REQUIRE(rewrite.exit_code == 0);
    CHECK_THAT(rewrite.out, Contains("000004_t_delete_1_backfill (backfill, no down"));
    CHECK(std::filesystem::exists(p.migrations() / "000004_t_delete_1_backfill.up.sql"));
    auto lint = run_tool(p.args({"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
}

TEST_CASE("rewrite says when a statement has no recipe, and lint names rewrite") {
    TestDatabase db;
    db.query("CREATE TABLE t (id int PRIMARY KEY, x int)");
    Project p;
    p.write_config("");
    std::ofstream(p.dir() / "original.sql")
        << "CREATE TABLE u (id int);\nDELETE FROM t RETURNING x;\nALTER TABLE t ALTER COLUMN x "
           "TYPE bigint USING x + 1;\nALTER TABLE t ADD COLUMN y int NOT NULL;\n";
    auto r =
        run_tool(p.args(db, {"rewrite", (p.dir() / "original.sql").string(), "--format", "json"}));
    INFO(r.all());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("\"result\": \"ok\""));
    CHECK_THAT(r.out, Contains("a backfill statement cannot be split into key ranges: it has "
                               "RETURNING; by hand: delete in batches"));
    CHECK_THAT(r.out, Contains("no recipe for ADD COLUMN ... NOT NULL without a DEFAULT"));
    CHECK_THAT(r.out, !Contains("no recipe yet"));
    CHECK_THAT(r.out, Contains("no recipe for ALTER COLUMN ... TYPE ... USING"));

    p.migration("1_not_null.up.sql", "ALTER TABLE t ALTER COLUMN x SET NOT NULL;\n");
    auto lint = run_tool_in(p.dir(), {"lint", "migrations"});
    INFO(lint.all());
    CHECK_THAT(lint.out, Contains("fix: safe-migrate rewrite migrations/1_not_null.up.sql"));
    // The hint's command works.
    auto hinted = run_tool_in(p.dir(), {"rewrite", "migrations/1_not_null.up.sql"});
    INFO(hinted.all());
    CHECK(hinted.exit_code == 0);
    CHECK_THAT(hinted.out, Contains("change t_x_not_null, 3 migration(s):"));
}

// rewrite --write, the gate, then the steps applied while a writer runs.
void write_and_lint(const TestDatabase& db, const Project& p, const std::string& original,
                    const std::string& expected) {
    std::ofstream(p.dir() / "original.sql") << original;
    auto rewrite =
        run_tool(p.args(db, {"rewrite", (p.dir() / "original.sql").string(), "--write"}));
    INFO(rewrite.all());
    REQUIRE(rewrite.exit_code == 0);
    CHECK_THAT(rewrite.out, Contains("proven on a copy of the target's schema"));
    CHECK_THAT(rewrite.out, Contains(expected));
    auto lint = run_tool(p.args({"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
}

TEST_CASE("ADD COLUMN with a volatile DEFAULT and a DELETE rewritten under a writer") {
    TestDatabase db;
    TestDatabase reference;
    db.query(k_schema);
    reference.query(k_schema);
    const std::string original =
        "ALTER TABLE accounts ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n"
        "DELETE FROM accounts WHERE code LIKE 'c%' AND id % 10 = 0;\n";
    reference.query(original);
    Project p;
    p.write_config("");
    p.migration("0007_base.up.sql", "SELECT 1;\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    write_and_lint(db, p, original, "why: the DEFAULT is evaluated per row: gen_random_uuid()");
    // Numbered after 0007 in its style; the DELETE has no down file.
    CHECK(std::filesystem::exists(p.migrations() / "0008_accounts_token_add_1_add.up.sql"));
    CHECK(std::filesystem::exists(p.migrations() / "0013_accounts_delete_1_backfill.up.sql"));
    CHECK_FALSE(
        std::filesystem::exists(p.migrations() / "0013_accounts_delete_1_backfill.down.sql"));

    Writer writer(db);
    auto run = run_while_writing(writer, p.args(db, {"execute", "--through", "contract"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(writer.error.empty());
    int64_t n = writer.inserted;
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE code LIKE 'w%'") == std::to_string(n));
    CHECK(db.scalar("SELECT count(*) FROM accounts") == std::to_string(2700 + n));
    CHECK(db.scalar("SELECT count(DISTINCT token) FROM accounts") == std::to_string(2700 + n));
    CHECK(schema_facts(db) == schema_facts(reference));

    // The DELETE cannot be undone: rollback refuses before it runs anything.
    auto rollback = run_tool(p.args(db, {"rollback", "--to", "12"}));
    INFO(rollback.all());
    CHECK(rollback.exit_code == 3);
    CHECK_THAT(rollback.err, Contains("0013_accounts_delete_1_backfill.down.sql"));
    CHECK(db.scalar("SELECT count(*) FROM accounts") == std::to_string(2700 + n));
}

TEST_CASE("RENAME COLUMN rewritten: old and new writers both land before the contract") {
    TestDatabase db;
    TestDatabase reference;
    db.query(k_schema);
    reference.query(k_schema);
    const std::string original = "ALTER TABLE accounts RENAME COLUMN balance TO amount;\n";
    reference.query(original);
    Project p;
    p.write_config("");
    write_and_lint(db, p, original, "change accounts_balance_rename, 7 migration(s):");

    int64_t before = std::stoll(db.scalar("SELECT sum(balance) FROM accounts"));
    Writer old_app(db);  // writes the old name while expand and backfill run
    auto expand = run_while_writing(old_app, p.args(db, {"execute"}));
    INFO(expand.all());
    REQUIRE(expand.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE amount IS DISTINCT FROM balance") == "0");

    Writer new_app(db, "amount");  // the new name, while the contract drops the old one
    auto contract = run_while_writing(new_app, p.args(db, {"execute", "--through", "contract"}));
    INFO(contract.all());
    REQUIRE(contract.exit_code == 0);
    CHECK(old_app.error.empty());
    CHECK(new_app.error.empty());
    int64_t n = old_app.inserted + new_app.inserted;
    CHECK(db.scalar("SELECT count(*) FROM accounts") == std::to_string(3000 + n));
    CHECK(db.scalar("SELECT sum(amount) FROM accounts") == std::to_string(before + 6 * n));
    CHECK(schema_facts(db) == schema_facts(reference));
}

TEST_CASE("ALTER TYPE rewritten: writes made after the swap survive the swap's rollback") {
    TestDatabase db;
    db.query(k_schema);
    Project p;
    p.write_config("");
    p.migration("1_base.up.sql", "SELECT 1;\n");
    REQUIRE(run_tool(p.args(db, {"execute"})).exit_code == 0);
    std::ofstream(p.dir() / "original.sql") << "ALTER TABLE accounts ALTER COLUMN balance TYPE "
                                               "bigint;\n";
    auto rewrite =
        run_tool(p.args(db, {"rewrite", (p.dir() / "original.sql").string(), "--write"}));
    INFO(rewrite.all());
    REQUIRE(rewrite.exit_code == 0);

    // Through the swap; the contract waits.
    auto expand = run_tool(p.args(db, {"execute"}));
    INFO(expand.all());
    REQUIRE(expand.exit_code == 0);
    CHECK_THAT(expand.out, Contains("left for a later phase"));
    REQUIRE(db.scalar("SELECT data_type FROM information_schema.columns WHERE table_name = "
                      "'accounts' AND column_name = 'balance'") == "bigint");
    // The application writes to the swapped column; one value only bigint holds.
    db.query(
        "UPDATE accounts SET balance = 777 WHERE id = 1;"
        "INSERT INTO accounts (customer_id, balance, code) VALUES (1, 555, 'after-swap');"
        "INSERT INTO accounts (customer_id, balance, code) VALUES (1, 5000000000, 'big')");
    CHECK(db.scalar("SELECT _sm_old_balance FROM accounts WHERE code = 'after-swap'") == "555");
    // The old type cannot hold it: NULL there, and the application's write went through.
    CHECK(db.scalar("SELECT count(*) FROM accounts WHERE code = 'big' AND _sm_old_balance IS "
                    "NULL") == "1");
    db.query("DELETE FROM accounts WHERE code = 'big'");  // else the down's SET NOT NULL fails

    // The swap's down puts the old column back with those writes in it.
    auto back = run_tool(p.args(db, {"rollback", "--steps", "1"}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT data_type FROM information_schema.columns WHERE table_name = "
                    "'accounts' AND column_name = 'balance'") == "integer");
    CHECK(db.scalar("SELECT balance FROM accounts WHERE id = 1") == "777");
    CHECK(db.scalar("SELECT balance FROM accounts WHERE code = 'after-swap'") == "555");

    // Forward again, through the contract: trigger and old column gone, values kept.
    auto contract = run_tool(p.args(db, {"execute", "--through", "contract"}));
    INFO(contract.all());
    REQUIRE(contract.exit_code == 0);
    CHECK(db.scalar("SELECT balance FROM accounts WHERE code = 'after-swap'") == "555");
    CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND "
                    "NOT tgisinternal") == "0");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                    "'accounts' AND column_name LIKE '_sm_%'") == "0");
}

}  // namespace rewrite_test
