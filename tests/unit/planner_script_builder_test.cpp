// Unit tests for src/planner/script_builder.{hpp,cpp} (and the splitter under it).

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "core/checksum.hpp"
#include "core/migration_source.hpp"
#include "planner/script_builder.hpp"
#include "planner/sql_parser.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_script_builder_test {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using sm::core::MigrationFile;
using sm::core::Script;
using sm::core::SourceProblem;
using sm::planner::build_script;
using sm_test::TempTree;

namespace {

const char* const k_path = "migrations/1_test.up.sql";

// A MigrationFile as read_migration_file would produce it, without touching disk.
MigrationFile make_file(const std::string& content, const std::filesystem::path& path = k_path) {
    MigrationFile f;
    f.path = path;
    f.content = content;
    f.checksum = sm::core::migration_checksum(content);
    std::vector<SourceProblem> directive_problems;
    f.directives = sm::core::parse_directives(path, sm::core::normalize_for_checksum(content),
                                              directive_problems);
    REQUIRE(directive_problems.empty());
    return f;
}

struct Built {
    Script script;
    std::vector<SourceProblem> problems;
};

Built build(const std::string& content) {
    Built b;
    b.script = build_script(make_file(content), b.problems);
    return b;
}

std::string describe_all(const std::vector<SourceProblem>& problems) {
    std::string out;
    for (const auto& p : problems) {
        out += p.describe() + "\n";
    }
    return out;
}

// Builds a single-statement script that must have no problems.
Script build_ok(const std::string& content) {
    Built b = build(content);
    INFO(describe_all(b.problems));
    REQUIRE(b.problems.empty());
    return b.script;
}

}  // namespace

TEST_CASE("script: statements are split with 1-based lines and columns", "[script_builder]") {
    Script s = build_ok(
        "CREATE TABLE users (\n"
        "  id bigint PRIMARY KEY\n"
        ");\n"
        "\n"
        "-- seed data\n"
        "INSERT INTO users VALUES (1);\n"
        "   /* block */ SELECT 2;\n"
        "SELECT 3");  // no final semicolon
    REQUIRE(s.statements.size() == 4);
    CHECK(s.statements[0].sql == "CREATE TABLE users (\n  id bigint PRIMARY KEY\n)");
    CHECK(s.statements[0].line == 1);
    CHECK(s.statements[0].column == 1);
    CHECK(s.statements[1].sql == "INSERT INTO users VALUES (1)");
    CHECK(s.statements[1].line == 6);  // after the leading comment
    CHECK(s.statements[1].column == 1);
    CHECK(s.statements[2].sql == "SELECT 2");
    CHECK(s.statements[2].line == 7);
    CHECK(s.statements[2].column == 16);
    CHECK(s.statements[3].sql == "SELECT 3");
    CHECK(s.statements[3].line == 8);
    CHECK(s.transactional);
    for (const auto& st : s.statements) {
        CHECK(st.needs_no_transaction.empty());
        CHECK_FALSE(st.transaction_control);
        CHECK_FALSE(st.concurrent_index.has_value());
    }
}

TEST_CASE("script: several statements on one line", "[script_builder]") {
    Script s = build_ok("SELECT 1; SELECT 2;SELECT 3;\n");
    REQUIRE(s.statements.size() == 3);
    CHECK(s.statements[0].column == 1);
    CHECK(s.statements[1].column == 11);
    CHECK(s.statements[2].column == 20);
    CHECK(s.statements[2].line == 1);
}

TEST_CASE("script: CRLF and BOM files split on normalised text", "[script_builder]") {
    Script s = build_ok(
        "\xEF\xBB\xBF"
        "SELECT 1;\r\n\r\nSELECT\r\n  2;\r\n");
    REQUIRE(s.statements.size() == 2);
    CHECK(s.statements[0].sql == "SELECT 1");
    CHECK(s.statements[0].line == 1);
    CHECK(s.statements[0].column == 1);
    CHECK(s.statements[1].sql == "SELECT\n  2");
    CHECK(s.statements[1].line == 3);
}

TEST_CASE("script: a semicolon inside a string does not split", "[script_builder]") {
    Script s = build_ok(
        "INSERT INTO notes VALUES ('a;b', E'c\\';d');\n"
        "SELECT 'x;'';y';\n");
    REQUIRE(s.statements.size() == 2);
    CHECK(s.statements[0].sql == "INSERT INTO notes VALUES ('a;b', E'c\\';d')");
    CHECK(s.statements[1].sql == "SELECT 'x;'';y'");
    CHECK(s.statements[1].line == 2);
}

TEST_CASE("script: a semicolon inside a comment does not split", "[script_builder]") {
    Script s = build_ok(
        "SELECT 1 -- trailing; comment\n"
        ";\n"
        "/* a; block /* nested; */ comment */ SELECT 2;\n"
        "SELECT /* inline; */ 3;\n");
    REQUIRE(s.statements.size() == 3);
    CHECK(s.statements[0].line == 1);
    CHECK_THAT(s.statements[0].sql, StartsWith("SELECT 1"));
    CHECK(s.statements[1].sql == "SELECT 2");
    CHECK(s.statements[1].line == 3);
    CHECK(s.statements[2].sql == "SELECT /* inline; */ 3");
}

TEST_CASE("script: a semicolon inside a dollar-quoted function body does not split",
          "[script_builder]") {
    const std::string fn =
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  NEW.updated_at := now();\n"
        "  RETURN NEW;\n"
        "END;\n"
        "$$";
    const std::string tagged =
        "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$";
    Script s = build_ok(fn + ";\n" + tagged + ";\nSELECT 2;\n");
    REQUIRE(s.statements.size() == 3);
    CHECK(s.statements[0].sql == fn);
    CHECK(s.statements[1].sql == tagged);
    CHECK(s.statements[1].line == 7);
    CHECK(s.statements[2].line == 8);
}

TEST_CASE("script: a comment-only piece between statements is dropped", "[script_builder]") {
    Script s = build_ok("SELECT 1;\n-- just a comment;\n;\nSELECT 2;\n-- trailing comment\n");
    REQUIRE(s.statements.size() == 2);
    CHECK(s.statements[1].sql == "SELECT 2");
    CHECK(s.statements[1].line == 4);
}

TEST_CASE("script: the script carries the file, checksum and directive limits",
          "[script_builder]") {
    const std::string content =
        "-- safe-migrate: lock-timeout=5s\n"
        "-- safe-migrate: statement-timeout=30min\n"
        "ALTER TABLE t ADD COLUMN c int;\n";
    Built b = build(content);
    CHECK(b.problems.empty());
    CHECK(b.script.file == k_path);
    CHECK(b.script.checksum == sm::core::migration_checksum(content));
    CHECK(b.script.lock_timeout == std::optional<std::chrono::milliseconds>(5s));
    CHECK(b.script.statement_timeout == std::optional<std::chrono::milliseconds>(30min));
    CHECK(b.script.transactional);
    REQUIRE(b.script.statements.size() == 1);
    CHECK(b.script.statements[0].line == 3);
}

TEST_CASE("script: the no-transaction directive makes the script non-transactional",
          "[script_builder]") {
    Script s = build_ok("-- safe-migrate: no-transaction\nUPDATE t SET x = 1;\n");
    CHECK_FALSE(s.transactional);
    REQUIRE(s.statements.size() == 1);
    CHECK(s.statements[0].needs_no_transaction.empty());
}

TEST_CASE(
    "script: statements PostgreSQL refuses in a transaction block make the script "
    "non-transactional",
    "[script_builder]") {
    struct Case {
        const char* sql;
        const char* reason;
    };
    const Case cases[] = {
        {"CREATE INDEX CONCURRENTLY idx ON t (x)", "CREATE INDEX CONCURRENTLY"},
        {"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON t (x)",
         "CREATE INDEX CONCURRENTLY"},
        {"DROP INDEX CONCURRENTLY idx", "DROP INDEX CONCURRENTLY"},
        {"DROP INDEX CONCURRENTLY IF EXISTS public.idx", "DROP INDEX CONCURRENTLY"},
        {"REINDEX INDEX CONCURRENTLY idx", "REINDEX CONCURRENTLY"},
        {"REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"},
        {"REINDEX (CONCURRENTLY) TABLE t", "REINDEX CONCURRENTLY"},
        {"REINDEX (VERBOSE, CONCURRENTLY) INDEX idx", "REINDEX CONCURRENTLY"},
        {"VACUUM", "VACUUM"},
        {"VACUUM (ANALYZE) t", "VACUUM"},
        {"VACUUM FULL t", "VACUUM"},
        {"ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"},
        {"ALTER SYSTEM RESET ALL", "ALTER SYSTEM"},
        {"CREATE DATABASE other", "CREATE DATABASE"},
        {"DROP DATABASE other", "DROP DATABASE"},
        {"CREATE TABLESPACE ts LOCATION '/srv/ts'", "CREATE TABLESPACE"},
        {"DROP TABLESPACE ts", "DROP TABLESPACE"},
        {"ALTER TABLE parent DETACH PARTITION child CONCURRENTLY", "DETACH PARTITION CONCURRENTLY"},
    };
    for (const auto& c : cases) {
        INFO(c.sql);
        Script s = build_ok(std::string("CREATE TABLE a (id int);\n") + c.sql + ";\n");
        CHECK_FALSE(s.transactional);
        REQUIRE(s.statements.size() == 2);
        CHECK(s.statements[0].needs_no_transaction.empty());
        CHECK(s.statements[1].needs_no_transaction == c.reason);
    }
}

TEST_CASE("script: ordinary statements keep the script transactional", "[script_builder]") {
    for (const char* sql :
         {"CREATE INDEX idx ON t (x)", "DROP INDEX idx", "REINDEX INDEX idx", "REINDEX TABLE t",
          "ANALYZE t", "ALTER TABLE parent DETACH PARTITION child",
          "ALTER TABLE t ADD COLUMN c int", "SET lock_timeout = '1s'",
          "CREATE INDEX concurrently_idx ON t (\"concurrently\")"}) {
        INFO(sql);
        Script s = build_ok(std::string(sql) + ";\n");
        CHECK(s.transactional);
        REQUIRE(s.statements.size() == 1);
        CHECK(s.statements[0].needs_no_transaction.empty());
    }
}

TEST_CASE("script: CONCURRENTLY or VACUUM in a string literal or a comment do not count",
          "[script_builder]") {
    Script s = build_ok(
        "-- we will CREATE INDEX CONCURRENTLY later; VACUUM too\n"
        "/* DROP INDEX CONCURRENTLY idx; VACUUM; ALTER SYSTEM SET x = 1; */\n"
        "INSERT INTO notes VALUES ('CREATE INDEX CONCURRENTLY idx ON t (x); VACUUM;');\n"
        "COMMENT ON TABLE t IS 'run VACUUM FULL weekly';\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT 'VACUUM' $$;\n");
    CHECK(s.transactional);
    REQUIRE(s.statements.size() == 3);
    for (const auto& st : s.statements) {
        CHECK(st.needs_no_transaction.empty());
    }
}

TEST_CASE("script: the concurrently built index's name and schema are extracted",
          "[script_builder]") {
    SECTION("schema-qualified table") {
        Script s = build_ok("CREATE INDEX CONCURRENTLY idx_users_email ON app.users (email);\n");
        REQUIRE(s.statements.size() == 1);
        REQUIRE(s.statements[0].concurrent_index.has_value());
        CHECK(*s.statements[0].concurrent_index == "idx_users_email");
        CHECK(s.statements[0].concurrent_index_schema == "app");
    }
    SECTION("unqualified table: the search path decides") {
        Script s =
            build_ok("CREATE UNIQUE INDEX CONCURRENTLY \"Users_Email\" ON users (lower(email));\n");
        REQUIRE(s.statements[0].concurrent_index.has_value());
        CHECK(*s.statements[0].concurrent_index == "Users_Email");
        CHECK(s.statements[0].concurrent_index_schema.empty());
    }
    SECTION("a plain CREATE INDEX records nothing") {
        Script s = build_ok("CREATE INDEX idx ON app.users (email);\n");
        CHECK_FALSE(s.statements[0].concurrent_index.has_value());
        CHECK(s.statements[0].concurrent_index_schema.empty());
    }
}

TEST_CASE("script: a syntax error is a problem with file:line and col", "[script_builder]") {
    Built b = build("CREATE TABLE t (id int);\nCREAT TABLE u (id int);\nSELECT 2;\n");
    REQUIRE(b.problems.size() == 1);
    const SourceProblem& p = b.problems[0];
    CHECK(p.file == k_path);
    CHECK(p.line == 2);
    CHECK_THAT(p.message, StartsWith("col 1: syntax error"));
    CHECK_THAT(p.message, Contains("CREAT"));
    CHECK_THAT(p.describe(), StartsWith("migrations/1_test.up.sql:2: col 1: syntax error"));
    // The statements that parse are still there.
    CHECK(b.script.statements.size() == 2);
}

TEST_CASE("script: the column of a syntax error inside a statement", "[script_builder]") {
    Built b = build("SELECT 1;\n  SELECT * FROM t WHERE;\n");
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].line == 2);
    // "  SELECT * FROM t WHERE;" - the error is at the ';' after WHERE, column 24.
    CHECK_THAT(b.problems[0].message, StartsWith("col 24: syntax error"));
}

TEST_CASE("script: an error on a later line of a multi-line statement", "[script_builder]") {
    Built b = build("CREATE TABLE t (\n  id int,\n  name text text text\n);\n");
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].line == 3);
    CHECK_THAT(b.problems[0].message, StartsWith("col 13: syntax error"));
}

TEST_CASE("script: an unterminated string is a scanner error with a position", "[script_builder]") {
    Built b = build("SELECT 1;\nSELECT 'never closed;\n");
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].line == 2);
    CHECK_THAT(b.problems[0].message, Contains("col 8"));
    CHECK_THAT(b.problems[0].message, Contains("unterminated"));
}

TEST_CASE("script: a syntax error after multi-byte characters is on the right line",
          "[script_builder]") {
    SECTION("multi-byte text before the statement does not matter") {
        std::string comment = "-- ";
        for (int i = 0; i < 20; ++i) {
            comment += "\xE2\x82\xAC";  // 20 euro signs, 60 bytes
        }
        Built b = build("SELECT 1;\n" + comment + "\nSELECT 2 FROM WHERE;\n");
        REQUIRE(b.problems.size() == 1);
        INFO(b.problems[0].describe());
        CHECK(b.problems[0].line == 3);
        CHECK_THAT(b.problems[0].message, StartsWith("col 15:"));
    }
    SECTION("multi-byte text earlier in the same statement") {
        std::string literal = "'";
        for (int i = 0; i < 10; ++i) {
            literal += "\xE2\x82\xAC";  // 10 euro signs: 10 characters, 30 bytes
        }
        literal += "'";
        // The error is at WHERE: line 2, column 6.
        Built b = build("SELECT " + literal + "\nFROM WHERE;\n");
        REQUIRE(b.problems.size() == 1);
        INFO(b.problems[0].describe());
        // Regression test (fixed): libpg_query's cursorpos counts characters, but build_script adds
        // it to a byte offset (piece.offset + error->offset) and computes line
        // and column from bytes. The 20 missing bytes move the error back onto
        // line 1 ("x.sql:1: col 26: syntax error at or near \"WHERE\"").
        CHECK(b.problems[0].line == 2);
        CHECK_THAT(b.problems[0].message, StartsWith("col 6:"));
    }
}

TEST_CASE("script: a misspelt statement without keywords is a syntax error, not dropped",
          "[script_builder]") {
    // pg_query_split_with_scanner only emits a piece that contains a keyword
    // token; a piece of bare identifiers ("VACUM", "SELEC 1") is skipped.
    Built b = build("CREATE TABLE a (id int);\nVACUM;\nSELEC 1;\n");
    INFO(describe_all(b.problems));
    // Text the splitter cannot place becomes one piece, so the file is rejected
    // with a syntax error at the first bad statement (later ones in the same
    // stretch are not reported separately); nothing is silently dropped.
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].line == 2);
    CHECK_THAT(b.problems[0].message, Contains("syntax error at or near \"VACUM\""));
    CHECK(b.script.statements.size() == 1);

    Built only = build("SELEC 1;\n");
    REQUIRE(only.problems.size() == 1);
    CHECK(only.problems[0].line == 1);
    CHECK_THAT(only.problems[0].message, Contains("syntax error"));
}

TEST_CASE("script: an unbalanced parenthesis is a syntax error, not the end of the file",
          "[script_builder]") {
    SECTION("unclosed") {
        Built b = build("CREATE TABLE a (id int);\nSELECT (1;\nDROP TABLE a;\n");
        INFO(describe_all(b.problems));
        // Regression test (fixed): the scanner splitter never sees open_parens == 0 again, so every
        // statement after "SELECT (1" is dropped without any problem: the
        // script holds only CREATE TABLE and would run "successfully".
        CHECK_FALSE(b.problems.empty());
    }
    SECTION("extra closing parenthesis") {
        Built b = build("CREATE TABLE a (id int);\nSELECT 1);\nDROP TABLE a;\n");
        INFO(describe_all(b.problems));
        // Regression test (fixed): open_parens (a size_t in libpg_query) wraps below zero; the same
        // silent truncation follows.
        CHECK_FALSE(b.problems.empty());
    }
}

TEST_CASE("script: BEGIN/COMMIT in a transactional file is a problem", "[script_builder]") {
    Built b = build("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n");
    REQUIRE(b.problems.size() == 2);
    CHECK(b.problems[0].line == 1);
    CHECK(b.problems[1].line == 3);
    CHECK_THAT(b.problems[0].message, Contains("transaction control"));
    CHECK(b.script.statements[0].transaction_control);
    CHECK_FALSE(b.script.statements[1].transaction_control);
    CHECK(b.script.statements[2].transaction_control);

    for (const char* sql : {"START TRANSACTION", "ROLLBACK", "SAVEPOINT s", "RELEASE SAVEPOINT s",
                            "END", "COMMIT AND CHAIN", "ABORT"}) {
        INFO(sql);
        Built one = build(std::string("SELECT 1;\n") + sql + ";\n");
        REQUIRE(one.problems.size() == 1);
        CHECK(one.problems[0].line == 2);
    }
}

TEST_CASE("script: transaction control in a no-transaction file is allowed", "[script_builder]") {
    Built b = build("-- safe-migrate: no-transaction\nBEGIN;\nUPDATE t SET x = 1;\nCOMMIT;\n");
    CHECK(b.problems.empty());
    CHECK_FALSE(b.script.transactional);
    REQUIRE(b.script.statements.size() == 3);
    CHECK(b.script.statements[0].transaction_control);
}

TEST_CASE("script: a plpgsql body with BEGIN ... END is not transaction control",
          "[script_builder]") {
    Script s = build_ok(
        "CREATE OR REPLACE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n"
        "  INSERT INTO audit_log VALUES (now());\n"
        "  COMMIT;\n"
        "  RETURN NEW;\n"
        "END;\n"
        "$body$;\n"
        "DO $$\n"
        "BEGIN\n"
        "  RAISE NOTICE 'hello; world';\n"
        "END\n"
        "$$;\n");
    CHECK(s.transactional);
    REQUIRE(s.statements.size() == 2);
    CHECK_FALSE(s.statements[0].transaction_control);
    CHECK_FALSE(s.statements[1].transaction_control);
    CHECK(s.statements[1].line == 8);
}

TEST_CASE("script: a comment-only file is a problem", "[script_builder]") {
    Built b = build("-- nothing to see here;\n/* SELECT 1; */\n");
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].file == k_path);
    CHECK(b.problems[0].line == 0);
    CHECK_THAT(b.problems[0].message, Contains("no SQL statements"));
    CHECK(b.script.statements.empty());

    Built semis = build(";\n;;\n");
    REQUIRE(semis.problems.size() == 1);
    CHECK_THAT(semis.problems[0].message, Contains("no SQL statements"));
}

TEST_CASE("script: a comment-only file is reported even after another file's problems",
          "[script_builder]") {
    // load_project (src/cli/project.cpp) builds every file into one shared
    // problems vector, so earlier files' problems are already in it.
    std::vector<SourceProblem> problems;
    build_script(make_file("SELECT FROM WHERE;\n", "migrations/1_bad.up.sql"), problems);
    REQUIRE(problems.size() == 1);
    build_script(make_file("-- only a comment\n", "migrations/2_empty.up.sql"), problems);
    // Regression test (fixed): build_script only reports "file contains no SQL statements" when
    // problems.empty(), i.e. when no earlier file had a problem, so the
    // comment-only file 2_empty.up.sql goes unreported here.
    REQUIRE(problems.size() == 2);
    CHECK(problems[1].file == "migrations/2_empty.up.sql");
    CHECK_THAT(problems[1].message, Contains("no SQL statements"));
}

TEST_CASE(
    "script: REINDEX SCHEMA/DATABASE/SYSTEM and bare CLUSTER cannot run in a transaction block",
    "[script_builder]") {
    // PostgreSQL 15: "ERROR: REINDEX SCHEMA cannot run inside a transaction block"
    // (likewise REINDEX DATABASE, REINDEX SYSTEM, with or without CONCURRENTLY,
    // and CLUSTER without a table name: "CLUSTER cannot run inside a
    // transaction block"). Checked against a PostgreSQL 15.18 server.
    for (const char* sql :
         {"REINDEX SCHEMA app", "REINDEX DATABASE app", "REINDEX SYSTEM app", "CLUSTER"}) {
        INFO(sql);
        Script s = build_ok(std::string(sql) + ";\n");
        CHECK_FALSE(s.transactional);
    }
}

TEST_CASE("script: building from a file read from disk", "[script_builder]") {
    TempTree t("sm-unit-sb");
    auto path =
        t.write("3_idx.up.sql",
                "-- safe-migrate: lock-timeout=2s\r\n"
                "CREATE INDEX CONCURRENTLY idx_orders_created ON shop.orders (created_at);\r\n");
    std::vector<SourceProblem> problems;
    MigrationFile file = sm::core::read_migration_file(path, problems);
    REQUIRE(problems.empty());
    Script s = build_script(file, problems);
    CHECK(problems.empty());
    CHECK(s.file == path);
    CHECK_FALSE(s.transactional);
    CHECK(s.lock_timeout == std::optional<std::chrono::milliseconds>(2s));
    REQUIRE(s.statements.size() == 1);
    CHECK(s.statements[0].line == 2);
    CHECK(s.statements[0].sql ==
          "CREATE INDEX CONCURRENTLY idx_orders_created ON shop.orders (created_at)");
    CHECK(s.statements[0].concurrent_index == std::optional<std::string>("idx_orders_created"));
    CHECK(s.statements[0].concurrent_index_schema == "shop");
}

TEST_CASE("skip_space_and_comments", "[script_builder][sql_parser]") {
    using sm::planner::skip_space_and_comments;
    CHECK(skip_space_and_comments("  SELECT", 0) == 2);
    CHECK(skip_space_and_comments("-- c\nSELECT", 0) == 5);
    CHECK(skip_space_and_comments("/* a /* b */ c */x", 0) == 17);
    CHECK(skip_space_and_comments("-- only", 0) == 7);
    CHECK(skip_space_and_comments("x", 0) == 0);
    CHECK(skip_space_and_comments("ab  cd", 2) == 4);
}

TEST_CASE("script: the fixture project's migrations build cleanly", "[script_builder]") {
    const std::filesystem::path dir =
        std::filesystem::path(SM_FIXTURES) / "unit/project/migrations";
    auto set = sm::core::load_migrations(dir);
    std::vector<SourceProblem> problems;
    REQUIRE(set.migrations.size() == 3);
    Script users = build_script(set.migrations[0].up, problems);
    Script index = build_script(set.migrations[1].up, problems);
    Script seed = build_script(set.migrations[2].up, problems);
    Script down = build_script(*set.migrations[0].down, problems);
    INFO(describe_all(problems));
    CHECK(problems.empty());
    CHECK(users.transactional);
    REQUIRE(users.statements.size() == 1);
    CHECK(users.statements[0].line == 2);
    CHECK_FALSE(index.transactional);
    REQUIRE(index.statements.size() == 1);
    CHECK(index.statements[0].concurrent_index == std::optional<std::string>("users_email_idx"));
    CHECK(index.statements[0].concurrent_index_schema == "public");
    CHECK(seed.transactional);
    REQUIRE(seed.statements.size() == 2);
    CHECK(seed.statements[0].line == 2);
    CHECK(seed.statements[1].line == 4);
    CHECK(seed.statement_timeout == std::optional<std::chrono::milliseconds>(30min));
    REQUIRE(down.statements.size() == 1);
    CHECK(down.statements[0].sql == "DROP TABLE users");
}

TEST_CASE("script: a SQL-standard function body (BEGIN ATOMIC ... END) is one statement",
          "[script_builder]") {
    Script s = build_ok(
        "CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n"
        "  SELECT a + 1;\n"
        "END;\n"
        "COMMENT ON FUNCTION add_one(int) IS 'x;y';\n");
    REQUIRE(s.statements.size() == 2);
    CHECK(s.statements[0].sql ==
          "CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + "
          "1;\nEND");
    CHECK(s.statements[1].line == 5);
    CHECK(s.transactional);
}

TEST_CASE("script: with a syntax error, statements are still split and the error placed",
          "[script_builder]") {
    Built b = build("CREATE TABLE a (id int);\nCREATE INDEX ON a (id;\nDROP TABLE a;\n");
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].line == 2);
}

}  // namespace planner_script_builder_test
