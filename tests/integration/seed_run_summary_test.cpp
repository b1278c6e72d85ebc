// seed run's closing summary: rows inserted per table (each INSERT's own row
// count, attributed to its table by the parser), time, environment and scale.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_run_summary_test {

using namespace sm::test;
using nlohmann::json;

namespace {

void put_file(const MigrationDir& dir, const std::string& relative, const std::string& content) {
    std::filesystem::create_directories((dir.path() / relative).parent_path());
    dir.write(relative, content);
}

std::vector<std::string> in_project(const MigrationDir& dir, std::vector<std::string> args) {
    dir.write("environments.toml", "[environments.dev]\n");
    args.insert(args.begin(), {"--config", (dir.path() / "environments.toml").string(),
                               "--migrations-dir", dir.path().string()});
    return args;
}

// Users scale with --scale; orders do not; other statements add or change rows
// that are not an INSERT's of their own.
void write_shop(const MigrationDir& dir) {
    put_file(dir, "1_shop.up.sql",
             "CREATE SCHEMA shop;\nCREATE TABLE users (id int PRIMARY KEY, name text);\n"
             "CREATE TABLE shop.orders (id int PRIMARY KEY, user_id int);\n");
    put_file(dir, "seeds/dev/010_users.sql",
             "INSERT INTO users (id) SELECT g FROM generate_series(1, 10 * "
             "current_setting('safe_migrate.seed_scale')::int) g;\n"
             "INSERT INTO public.users (id) VALUES (1), (1000) ON CONFLICT DO NOTHING;\n"
             "UPDATE users SET name = 'user ' || id;\n");
    put_file(dir, "seeds/dev/020_orders.sql",
             "-- safe-migrate: requires=010_users\n"
             "INSERT INTO shop.orders VALUES (1, 1), (2, 1), (3, 2);\n"
             "SELECT count(*) FROM shop.orders;\n"
             "DELETE FROM shop.orders WHERE id = 3;\n");
}

}  // namespace

TEST_CASE("seed run ends with the rows inserted per table, time, environment and scale") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    write_shop(dir);
    REQUIRE(run_tool(in_project(dir, {"execute"}), env).exit_code == 0);

    ToolRun run = run_tool(in_project(dir, {"seed", "run", "--env", "dev", "--scale", "2"}), env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    // 20 generated users and 1000 (1 already there), 3 orders: what the server counted.
    CHECK(db.scalar("SELECT count(*) FROM users") == "21");
    CHECK_THAT(run.out,
               Catch::Matchers::Contains("seeded 2 seed(s) into environment 'dev' at scale 2 in "));
    CHECK_THAT(run.out, Catch::Matchers::Contains(": 24 row(s) inserted\n"
                                                  "  public.users  21\n"
                                                  "  shop.orders   3\n"));

    // JSON: the same, on a fresh database.
    TestDatabase other;
    std::map<std::string, std::string> other_env = {{"DATABASE_URL", other.url()}};
    REQUIRE(run_tool(in_project(dir, {"execute"}), other_env).exit_code == 0);
    ToolRun doc_run =
        run_tool(in_project(dir, {"seed", "run", "--env", "dev", "--format", "json"}), other_env);
    INFO(doc_run.all());
    REQUIRE(doc_run.exit_code == 0);
    json doc = json::parse(doc_run.out);
    CHECK(doc["result"] == "ok");
    CHECK(doc["action"] == "run");
    CHECK(doc["environment"] == "dev");
    CHECK(doc["scale"] == 1);
    CHECK(doc["count"] == 2);
    CHECK(doc["rows"] == json({{"public.users", 11}, {"shop.orders", 3}}));
    CHECK(doc["total_rows"] == 14);
    CHECK(doc["duration_ms"].is_number());

    // Nothing left to seed: an empty summary.
    ToolRun again =
        run_tool(in_project(dir, {"seed", "run", "--env", "dev", "--format", "json"}), other_env);
    REQUIRE(again.exit_code == 0);
    json none = json::parse(again.out);
    CHECK(none["count"] == 0);
    CHECK(none["rows"] == json::object());
    ToolRun again_text = run_tool(in_project(dir, {"seed", "run", "--env", "dev"}), other_env);
    CHECK_THAT(again_text.out,
               Catch::Matchers::Contains("nothing to seed: every seed of environment 'dev' is "
                                         "applied"));
}

}  // namespace seed_run_summary_test
