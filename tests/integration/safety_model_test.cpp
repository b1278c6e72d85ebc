// One safety model (issue 14), end to end with the real binary and no config
// file: for each fixture, lint, plan, `execute --dry-run` and `execute` reach the
// same decision. plan's verdict, the dry run's predicted exit code and execute's
// real exit code are equal; the transaction mode of each file is the same in all
// four; every plan error is also a lint finding.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace safety_model_test {

using namespace sm::test;
using nlohmann::json;

namespace {

struct Fixture {
    const char* name;
    const char* existing;  // SQL run on the target first: what production already holds
    std::vector<std::pair<const char*, const char*>> files;
    int exit_code;  // what plan, the dry run and execute all decide
};

const char* const k_orders =
    "CREATE TABLE orders (id bigint PRIMARY KEY, email text, shipped_at timestamptz, "
    "total numeric);\n"
    "INSERT INTO orders SELECT g, 'u' || g || '@example.com', now(), g FROM "
    "generate_series(1, 500) g;\n"
    "CREATE TABLE order_items (order_id bigint, sku text);\n"
    "INSERT INTO order_items SELECT g, 'sku' FROM generate_series(1, 500) g;\n";

const std::vector<Fixture>& fixtures() {
    static const std::vector<Fixture> all = {
        {"a DROP COLUMN and a TRUNCATE on tables with rows",
         k_orders,
         {{"1_cleanup.up.sql",
           "ALTER TABLE orders DROP COLUMN shipped_at;\nTRUNCATE order_items;\n"}},
         4},
        {"the same statements on tables the run creates",
         "",
         {{"1_create.up.sql",
           "CREATE TABLE orders (id bigint PRIMARY KEY, shipped_at timestamptz);\n"
           "CREATE TABLE order_items (order_id bigint);\n"},
          {"2_cleanup.up.sql",
           "ALTER TABLE orders DROP COLUMN shipped_at;\nTRUNCATE order_items;\n"
           "ALTER TABLE orders RENAME TO purchases;\n"}},
         0},
        {"CREATE INDEX CONCURRENTLY alone in its file, with its lock_timeout",
         k_orders,
         {{"1_index.up.sql",
           "SET lock_timeout = '2s';\n"
           "CREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);\n"}},
         0},
        {"DROP INDEX CONCURRENTLY in its own file",
         k_orders,
         {{"1_index.up.sql", "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);\n"},
          {"2_drop.up.sql", "DROP INDEX CONCURRENTLY orders_total_idx;\n"}},
         0},
        {"a CHECK added NOT VALID, validated in a later migration",
         k_orders,
         {{"1_check.up.sql",
           "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT "
           "VALID;\n"},
          {"2_validate.up.sql", "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n"}},
         0},
        {"an index without CONCURRENTLY on a small existing table: a warning",
         k_orders,
         {{"1_index.up.sql", "CREATE INDEX orders_total_idx ON orders (total);\n"}},
         0},
        {"UPDATE of a whole existing table",
         k_orders,
         {{"1_backfill.up.sql", "UPDATE orders SET total = 0;\n"}},
         4},
        {"a down file that does not parse",
         k_orders,
         {{"1_add.up.sql", "ALTER TABLE orders ADD COLUMN note text;\n"},
          {"1_add.down.sql", "ALTER TABLE orders DROP COLUMN note text text;\n"}},
         0},
        {"an up file that does not parse",
         k_orders,
         {{"1_add.up.sql", "ALTER TABLE orders ADD COLUMN note text text;\n"}},
         3},
    };
    return all;
}

// (rule, file, line) of every finding of severity error in a lint or plan JSON.
std::set<std::tuple<std::string, std::string, int>> errors_of(const json& findings) {
    std::set<std::tuple<std::string, std::string, int>> out;
    for (const auto& f : findings) {
        if (f.at("severity") == "error" && f.at("suppressed").is_null()) {
            out.insert(std::make_tuple(f.at("rule").get<std::string>(),
                                       f.at("file").get<std::string>(), f.at("line").get<int>()));
        }
    }
    return out;
}

std::set<std::tuple<std::string, std::string, int>> all_of(const json& findings) {
    std::set<std::tuple<std::string, std::string, int>> out;
    for (const auto& f : findings) {
        out.insert(std::make_tuple(f.at("rule").get<std::string>(), f.at("file").get<std::string>(),
                                   f.at("line").get<int>()));
    }
    return out;
}

json parse_out(const ToolRun& run) {
    INFO(run.all());
    return json::parse(run.out);
}

}  // namespace

TEST_CASE("lint, plan, dry run and execute reach the same decision on every fixture") {
    for (const auto& fx : fixtures()) {
        DYNAMIC_SECTION(fx.name) {
            TestDatabase db;
            if (*fx.existing != '\0') {
                db.query(fx.existing);
            }
            MigrationDir dir;
            for (const auto& [name, sql] : fx.files) {
                dir.write(name, sql);
            }
            const std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
            auto tool = [&](std::vector<std::string> args) {
                args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
                return run_tool(args, env);
            };

            auto plan = tool({"plan", "--format", "json"});
            auto dry = tool({"execute", "--dry-run", "--format", "json"});
            INFO("plan: " << plan.all() << "\ndry run: " << dry.all());
            CHECK(plan.exit_code == fx.exit_code);
            CHECK(dry.exit_code == fx.exit_code);

            std::set<std::string> no_tx;  // migrations plan says run outside a transaction
            if (fx.exit_code != 3) {
                // Every plan error is a lint finding; the transaction modes agree.
                auto lint = tool({"lint", "--format", "json", dir.path().string()});
                json lint_json = parse_out(lint);
                json plan_json = parse_out(plan);
                auto linted = all_of(lint_json.at("findings"));
                for (const auto& e : errors_of(plan_json.at("findings"))) {
                    INFO(std::get<0>(e) << " at " << std::get<1>(e) << ":" << std::get<2>(e));
                    CHECK(linted.count(e) == 1);
                }
                std::set<std::string> lint_no_tx;
                for (const auto& f : lint_json.at("no_transaction")) {
                    lint_no_tx.insert(std::filesystem::path(f.get<std::string>()).filename());
                }
                for (const auto& m : plan_json.at("migrations")) {
                    const std::string file = m.at("file");
                    INFO(file);
                    CHECK(m.at("transactional").get<bool>() == (lint_no_tx.count(file) == 0));
                    if (!m.at("transactional").get<bool>()) {
                        no_tx.insert(std::to_string(m.at("version").get<int64_t>()) + "_" +
                                     m.at("name").get<std::string>());
                    }
                }
            }

            auto run = tool({"execute"});
            INFO("execute: " << run.all());
            CHECK(run.exit_code == fx.exit_code);
            for (const auto& id : no_tx) {  // and execute ran it statement by statement
                CHECK(run.all().find("applying " + id + " (no transaction)") != std::string::npos);
            }
            if (fx.exit_code == 0) {
                CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") ==
                      std::to_string(std::count_if(fx.files.begin(), fx.files.end(), [](auto& f) {
                          return std::string(f.first).find(".up.sql") != std::string::npos;
                      })));
            } else {
                // Refused before anything was applied.
                CHECK((db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'safe_migrate' "
                                 "AND tablename = 'history'") != "1" ||
                       db.scalar("SELECT count(*) FROM safe_migrate.history") == "0"));
            }
        }
    }
}

}  // namespace safety_model_test
