// status --tables and --health: what a DBA looks at around a deploy, read
// from a database that has each problem the health report names.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

using namespace sm::test;
using nlohmann::json;

namespace status_dashboard_test {

namespace {

// A table with rows, an INVALID index (a unique build that failed), a
// constraint left NOT VALID and a smallint sequence at 30000 of 32767.
void make_problems(const TestDatabase& db) {
    db.query("CREATE TABLE t (id int PRIMARY KEY, v int)");
    db.query("INSERT INTO t SELECT g, g % 10 FROM generate_series(1, 1000) g");
    db.query("ANALYZE t");
    db.query("ALTER TABLE t ADD CONSTRAINT v_positive CHECK (v >= 0) NOT VALID");
    db.query("CREATE SEQUENCE s AS smallint");
    db.query("SELECT setval('s', 30000)");
    CHECK_THROWS(db.query("CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v)"));
}

}  // namespace

TEST_CASE("status --health names invalid indexes, NOT VALID constraints and full sequences") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_a.up.sql", "CREATE TABLE a (id int);\n");
    make_problems(db);
    auto idle = db.connect("idle-client");
    idle->exec("BEGIN");
    idle->exec("SELECT 1");

    ToolRun run = run_tool(project.args(db, {"status", "--health", "--format", "json"}));
    REQUIRE(run.exit_code == 10);  // the migrations' exit code, unchanged
    json h = json::parse(run.out).at("health");
    CHECK(h.at("invalid_indexes") == json::array({"public.t_v on public.t"}));
    CHECK(h.at("unvalidated_constraints") == json::array({"public.t.v_positive"}));
    REQUIRE(h.at("sequences_near_limit").size() == 1);
    CHECK(h.at("sequences_near_limit")[0].at("name") == "public.s");
    CHECK(h.at("sequences_near_limit")[0].at("limit") == 32767);
    CHECK(h.at("sequences_near_limit")[0].at("percent") == Approx(91.6));
    CHECK(h.at("longest_idle_in_transaction").at("pid") == idle->backend_pid());
    CHECK(h.at("longest_idle_in_transaction").at("application") == "idle-client");
    CHECK(h.at("longest_running").is_null());
    CHECK(h.at("server_version").get<std::string>().rfind("15", 0) == 0);
    CHECK(h.at("connections").get<int>() >= 2);
    CHECK(h.at("connections").get<int>() <= h.at("max_connections").get<int>());
    CHECK(h.at("database_bytes").get<int64_t>() > 0);
    CHECK(h.at("standbys") == json::array());

    ToolRun text = run_tool(project.args(db, {"status", "--health"}));
    CHECK(text.exit_code == 10);
    CHECK(text.out.find("invalid indexes:     public.t_v on public.t\n") != std::string::npos);
    CHECK(text.out.find("NOT VALID left:      public.t.v_positive\n") != std::string::npos);
    CHECK(text.out.find("sequences over 75%:  public.s 91.6% (30000 of 32767)\n") !=
          std::string::npos);
    CHECK(text.out.find("longest idle in tx:  ") != std::string::npos);
    CHECK(text.out.find("idle-client): SELECT 1\n") != std::string::npos);
}

TEST_CASE("status --tables lists each table's rows, sizes and maintenance") {
    TestDatabase db;
    Project project;
    project.write_config("");
    project.migration("1_a.up.sql", "CREATE TABLE a (id int);\n");
    REQUIRE(run_tool(project.args(db, {"execute"})).exit_code == 0);
    make_problems(db);
    db.query("DELETE FROM t WHERE id <= 100");

    ToolRun run = run_tool(project.args(db, {"status", "--tables", "--format", "json"}));
    REQUIRE(run.exit_code == 0);
    json doc = json::parse(run.out);
    CHECK_FALSE(doc.contains("health"));
    json tables = doc.at("tables");
    REQUIRE(tables.size() == 2);  // a and t; never safe_migrate's own
    CHECK(tables[0].at("name") == "a");
    CHECK(tables[0].at("estimated_rows") == -1);  // never analyzed
    CHECK(tables[0].at("last_analyze").is_null());
    json t = tables[1];
    CHECK(t.at("schema") == "public");
    CHECK(t.at("name") == "t");
    CHECK(t.at("estimated_rows") == 1000);
    CHECK(t.at("index_bytes").get<int64_t>() > 0);
    CHECK(t.at("total_bytes").get<int64_t>() > t.at("index_bytes").get<int64_t>());
    CHECK_FALSE(t.at("last_analyze").is_null());

    ToolRun text = run_tool(project.args(db, {"status", "--tables"}));
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("TABLE     ROWS (EST.)  TOTAL") != std::string::npos);
    CHECK(text.out.find("\npublic.a  ?            ") != std::string::npos);
    CHECK(text.out.find("\npublic.t  1000         ") != std::string::npos);
}

}  // namespace status_dashboard_test
