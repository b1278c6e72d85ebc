// The lint driver: suppressions, syntax errors, plan context across files,
// policies, output formats, streaming and exit codes.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lint_test_support.hpp"
#include "planner/lint_output.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "planner/sql_parser.hpp"
#include "planner/statement_stream.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_linter_test {

using namespace sm::planner;
using Catch::Matchers::Contains;

using sm_test::of_rule;

namespace {

struct Dir {
    sm::util::TempDir dir{"sm-unit-lint"};
    std::filesystem::path write(const std::string& name, const std::string& content) const {
        std::ofstream(dir.path() / name, std::ios::binary) << content;
        return dir.path() / name;
    }
};

Policy default_policy() {
    return load_policy(std::string("default"));
}

}  // namespace

TEST_CASE("lint: a statement suppression silences one finding and shows with its reason",
          "[linter]") {
    Dir d;
    auto f =
        d.write("1_drop.up.sql",
                "CREATE TABLE keep (a int);\n"
                "-- safe-migrate: allow ban-drop-table reason=\"table unused since release 41\"\n"
                "DROP TABLE old_a;\n"
                "DROP TABLE old_b;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto drops = of_rule(r, "ban-drop-table");
    REQUIRE(drops.size() == 2);
    REQUIRE(drops[0]->suppressed_by);
    CHECK(drops[0]->suppressed_by->reason == "table unused since release 41");
    CHECK(drops[0]->line == 3);
    CHECK_FALSE(drops[1]->suppressed_by);
    CHECK(r.suppressed == 1);
    CHECK(r.errors >= 1);
    auto text = render_lint(r, LintFormat::text, default_policy());
    CHECK_THAT(text, Contains("suppressed[ban-drop-table]"));
    CHECK_THAT(text, Contains("suppressed at line 2: table unused since release 41"));
    auto json = nlohmann::json::parse(render_lint(r, LintFormat::json, default_policy()));
    CHECK(json["suppressions"][0]["used"] == true);
    CHECK(json["findings"][0]["suppressed"]["reason"] == "table unused since release 41");
}

TEST_CASE("lint: a header suppression covers the whole file", "[linter]") {
    Dir d;
    auto f =
        d.write("1_drop.up.sql",
                "-- safe-migrate: allow ban-drop-table reason=\"cleanup of the archive schema\"\n"
                "DROP TABLE a;\nDROP TABLE b;\n");
    auto r = lint_files({f}, default_policy(), 1);
    CHECK(r.suppressed == 2);
    CHECK(of_rule(r, "ban-drop-table").size() == 2);
    CHECK(r.errors == 0);
}

TEST_CASE("lint: a suppression without a reason, or of an unknown rule, is a problem", "[linter]") {
    Dir d;
    auto f = d.write("1_x.up.sql",
                     "SELECT 1;\n-- safe-migrate: allow ban-drop-table\nDROP TABLE a;\n"
                     "-- safe-migrate: allow no-such-rule reason=\"x\"\nSELECT 2;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto bad = of_rule(r, "invalid-directive");
    REQUIRE(bad.size() == 2);
    CHECK(bad[0]->line == 2);
    CHECK_THAT(bad[0]->message, Contains("has no reason"));
    CHECK(bad[1]->line == 4);
    CHECK_THAT(bad[1]->message, Contains("unknown rule 'no-such-rule'"));
    CHECK(r.syntax_errors == 2);
    // The DROP is still reported: a broken suppression suppresses nothing.
    REQUIRE(of_rule(r, "ban-drop-table").size() == 1);
    CHECK_FALSE(of_rule(r, "ban-drop-table")[0]->suppressed_by);
}

TEST_CASE("lint: an unused suppression is reported", "[linter]") {
    Dir d;
    auto f = d.write(
        "1_x.up.sql",
        "-- safe-migrate: allow ban-truncate reason=\"nothing here truncates\"\nSELECT 1;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto unused = of_rule(r, "unused-suppression");
    REQUIRE(unused.size() == 1);
    CHECK(unused[0]->severity == Severity::warning);
    CHECK(unused[0]->line == 1);
    CHECK(r.errors == 0);
}

TEST_CASE("lint: a syntax error is a finding with file:line:col and other files are still linted",
          "[linter]") {
    Dir d;
    auto bad = d.write("1_bad.up.sql", "SELECT 1;\n\nCREATE TABEL t (a int);\nDROP TABLE x;\n");
    auto good = d.write("2_good.up.sql", "TRUNCATE t;\n");
    auto r = lint_files({bad, good}, default_policy(), 2);
    auto syntax = of_rule(r, "syntax-error");
    REQUIRE(syntax.size() == 1);
    CHECK(syntax[0]->line == 3);
    CHECK(syntax[0]->column == 8);
    CHECK_THAT(syntax[0]->message, Contains("syntax error at or near \"TABEL\""));
    CHECK(of_rule(r, "ban-drop-table").size() == 1);  // same file, after the error
    CHECK(of_rule(r, "ban-truncate").size() == 1);    // the other file
    CHECK(r.syntax_errors == 1);
}

TEST_CASE("lint: only tables created earlier in the same file may be indexed freely", "[linter]") {
    Dir d;
    auto create = d.write("1_create.up.sql", "CREATE TABLE fresh (id int, email text);\n");
    auto index = d.write("2_index.up.sql",
                         "CREATE INDEX fresh_email_idx ON fresh (email);\n"
                         "CREATE INDEX old_email_idx ON existing (email);\n");
    // lint has no database: by the time file 2 runs, fresh may exist and be large
    // (plan, which knows the run, exempts it: planner_safety_model_test).
    auto r = lint_files({create, index}, default_policy(), 2);
    auto found = of_rule(r, "require-concurrent-index-creation");
    REQUIRE(found.size() == 2);
    CHECK_THAT(found[0]->message, Contains("fresh"));
    CHECK_THAT(found[1]->message, Contains("existing"));
    // In the same file, the new table is empty.
    auto same =
        d.write("3_same.up.sql", "CREATE TABLE t2 (a int);\nCREATE INDEX t2_a ON t2 (a);\n");
    CHECK(of_rule(lint_files({same}, default_policy(), 1), "require-concurrent-index-creation")
              .empty());
}

TEST_CASE("lint: policies set severities, extend each other, and reject unknown rules",
          "[linter][policy]") {
    Dir d;
    auto project =
        d.write("project.toml",
                "extends = \"strict\"\npg_version = 10\n[rules]\nban-drop-table = \"off\"\n"
                "ban-drop-column = \"warning\"\n");
    Policy p = load_policy(project.string());
    CHECK(p.pg_version == 100000);
    CHECK(p.severity_of("ban-drop-table") == Severity::off);
    CHECK(p.severity_of("ban-drop-column") == Severity::warning);
    CHECK(p.severity_of("ban-drop-not-null") == Severity::error);  // strict raised it
    CHECK(p.max_lock_timeout_ms == 5000);                          // from strict
    CHECK(default_policy().severity_of("ban-drop-not-null") == Severity::warning);

    auto f = d.write("1_x.up.sql", "DROP TABLE a;\nALTER TABLE b DROP COLUMN c;\n");
    auto r = lint_files({f}, p, 1);
    CHECK(of_rule(r, "ban-drop-table").empty());
    REQUIRE(of_rule(r, "ban-drop-column").size() == 1);
    CHECK(of_rule(r, "ban-drop-column")[0]->severity == Severity::warning);

    auto typo = d.write("typo.toml", "[rules]\nban-drop-tabel = \"off\"\n");
    try {
        load_policy(typo.string());
        FAIL("expected an error");
    } catch (const sm::Error& e) {
        CHECK(e.code() == sm::ExitCode::invalid_input);
        CHECK_THAT(e.what(), Contains("typo.toml:2: unknown key 'rules.ban-drop-tabel'"));
        CHECK_THAT(e.hint(), Contains("rules.ban-drop-table"));
    }
    auto cycle_a = d.write("a.toml", "extends = \"./b.toml\"\n");
    d.write("b.toml", "extends = \"./a.toml\"\n");
    CHECK_THROWS_WITH(load_policy(cycle_a.string()), Contains("cycle"));
}

TEST_CASE("lint: SARIF output has the fields code scanning requires", "[linter][output]") {
    Dir d;
    auto f = d.write("1_x.up.sql", "SELECT 1;\nDROP TABLE a;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto sarif = nlohmann::json::parse(render_lint(r, LintFormat::sarif, default_policy()));
    CHECK(sarif["version"] == "2.1.0");
    CHECK(sarif["$schema"].get<std::string>().find("sarif") != std::string::npos);
    auto& run = sarif["runs"][0];
    CHECK(run["tool"]["driver"]["name"] == "safe-migrate");
    CHECK(run["tool"]["driver"]["rules"].size() > 30);
    auto& result = run["results"][0];
    CHECK(result["ruleId"] == "ban-drop-table");
    CHECK(result["level"] == "error");
    CHECK_FALSE(result["message"]["text"].get<std::string>().empty());
    auto& loc = result["locations"][0]["physicalLocation"];
    CHECK(loc["artifactLocation"]["uri"].get<std::string>().find("1_x.up.sql") !=
          std::string::npos);
    CHECK(loc["region"]["startLine"] == 2);
    CHECK(loc["region"]["startColumn"] == 1);
}

TEST_CASE("lint: GitHub annotations escape newlines and property separators", "[linter][output]") {
    Dir d;
    auto f = d.write("1_x,y.up.sql", "DROP TABLE a;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto out = render_lint(r, LintFormat::github, default_policy());
    CHECK_THAT(out, Contains("::error file="));
    CHECK_THAT(out, Contains("1_x%2Cy.up.sql,line=1,col=1,title=ban-drop-table::"));
    CHECK_THAT(out, Contains("%0ASafe alternative:"));
    // A name that is not a migration's is a plain SQL file, also told to set lock_timeout;
    // each annotation is still exactly one line.
    CHECK_THAT(out, Contains("title=require-lock-timeout::"));
    CHECK(std::count(out.begin(), out.end(), '\n') == 2);
}

TEST_CASE("statement stream: small chunks give the same statements and lines as one read",
          "[linter][stream]") {
    Dir d;
    std::string sql =
        "-- header\r\nCREATE TABLE t (a text DEFAULT 'x;y');\r\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1; -- "
        ";\nEND\n$$;\n"
        "/* block ; comment */ INSERT INTO t VALUES ('€€€;');\n"
        "SELECT 1";
    auto f = d.write("s.sql", sql);
    std::vector<std::pair<int, std::string>> big;
    std::vector<std::pair<int, std::string>> small;
    for (size_t chunk : {size_t(1) << 20, size_t(7)}) {
        StatementStream stream(f, chunk);
        auto& out = chunk == 7 ? small : big;
        while (auto s = stream.next()) {
            out.emplace_back(s->line, s->sql);
        }
    }
    REQUIRE(big.size() == 4);
    CHECK(big == small);
    CHECK(big[0].first == 2);
    CHECK(big[1].first == 3);
    CHECK(big[2].first == 8);
    CHECK(big[2].second.rfind("INSERT", 0) == 0);
    CHECK(big[3] == std::make_pair(9, std::string("SELECT 1")));
}

TEST_CASE("lint: exit codes are 0 clean, 4 policy errors, 3 syntax errors, 2 usage",
          "[linter][cli]") {
    Dir d;
    auto clean = d.write("1_ok.up.sql", "CREATE TABLE t (a int);\n");
    auto policy = d.write("2_bad.up.sql", "DROP TABLE t;\n");
    auto syntax = d.write("3_syntax.up.sql", "SELEC 1;\n");
    auto run = [](std::vector<std::string> args) {
        sm::util::ProcessSpec spec;
        spec.program = SM_BINARY;
        spec.args = std::move(args);
        return sm::util::run_process(spec);
    };
    CHECK(run({"lint", clean.string()}).exit_code == 0);
    CHECK(run({"lint", clean.string(), policy.string()}).exit_code == 4);
    CHECK(run({"lint", policy.string(), syntax.string()}).exit_code == 3);
    CHECK(run({"lint", "--format", "yaml", clean.string()}).exit_code == 2);
    auto json = run({"lint", "--format", "json", policy.string()});
    CHECK(nlohmann::json::parse(json.out)["summary"]["errors"] == 1);
}

TEST_CASE("lint: a foreign key is satisfied by an index the plan creates, in any file",
          "[linter]") {
    Dir d;
    auto tables = d.write("1_tables.up.sql",
                          "CREATE TABLE parent (id int PRIMARY KEY);\n"
                          "CREATE TABLE child (id int, parent_id int REFERENCES parent, other_id "
                          "int REFERENCES parent);\n");
    auto r1 = lint_files({tables}, default_policy(), 1);
    CHECK(of_rule(r1, "fk-missing-index").size() == 2);

    // An index leading with parent_id serves that foreign key only; one leading
    // with a different column does not serve other_id.
    auto index = d.write(
        "2_index.up.sql",
        "-- safe-migrate: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS child_parent_idx ON child (parent_id, id);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS child_id_other_idx ON child (id, other_id);\n");
    auto r2 = lint_files({tables, index}, default_policy(), 2);
    auto left = of_rule(r2, "fk-missing-index");
    REQUIRE(left.size() == 1);
    CHECK_THAT(left[0]->message, Contains("(other_id)"));
}

TEST_CASE(
    "lint: bytes that are not UTF-8 are a syntax error at their place, and output stays valid",
    "[linter]") {
    Dir d;
    // A Latin-1 file: 0xE9 is "é" there, and no UTF-8 sequence.
    auto f = d.write("2_latin1.up.sql",
                     "CREATE TABLE notes (id bigint, note text);\n"
                     "-- a comment: caf\xe9 -- safe-migrate: allow ban-truncate reason=\"x\xe9\"\n"
                     "UPDATE notes SET note = 'caf\xe9' WHERE id = 1;\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto bad = of_rule(r, "syntax-error");
    REQUIRE(bad.size() == 1);
    CHECK(bad[0]->line == 3);
    CHECK(bad[0]->column == 29);  // the byte after "caf"
    CHECK_THAT(bad[0]->message, Contains("invalid UTF-8"));
    CHECK(r.syntax_errors == 1);
    // Every format renders; JSON and SARIF stay valid JSON (the byte becomes U+FFFD).
    auto json = nlohmann::json::parse(render_lint(r, LintFormat::json, default_policy()));
    CHECK_THAT(json["findings"][0]["statement"].get<std::string>(), Contains("caf\xef\xbf\xbd"));
    CHECK_NOTHROW(nlohmann::json::parse(render_lint(r, LintFormat::sarif, default_policy())));
    CHECK_THAT(render_lint(r, LintFormat::github, default_policy()), Contains("line=3"));
    CHECK_THAT(render_lint(r, LintFormat::text, default_policy()), Contains("invalid UTF-8"));
}

TEST_CASE("lint: a file parsed at once reads literals at file offsets, as one parsed by statement",
          "[linter]") {
    Dir d;
    // The second statement's constant -2 is read from the text (libpg_query
    // leaves negative integers out of its JSON) at an offset in the file.
    const std::string sql =
        "COMMENT ON TABLE t IS 'x';\n"
        "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * -2) STORED;\n";
    auto whole = lint_files({d.write("1_gen.up.sql", sql)}, default_policy(), 1);
    auto found = of_rule(whole, "adding-stored-generated-column");
    REQUIRE(found.size() == 1);
    CHECK(found[0]->line == 2);
    CHECK_THAT(found[0]->rewrite, Contains("(a * -2)"));
    // The same file with a statement that does not parse goes statement by
    // statement: the same finding, the same rewrite.
    auto split =
        lint_files({d.write("2_gen.up.sql", sql + "CREATE INDEX ON t (a;\n")}, default_policy(), 1);
    auto again = of_rule(split, "adding-stored-generated-column");
    REQUIRE(again.size() == 1);
    CHECK(again[0]->rewrite == found[0]->rewrite);
    CHECK(of_rule(split, "syntax-error").size() == 1);
}

TEST_CASE("lint: a SQL-standard function body (BEGIN ATOMIC ... END) is one statement",
          "[linter]") {
    Dir d;
    auto f = d.write("1_fn.up.sql",
                     "CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql\n"
                     "BEGIN ATOMIC SELECT a; SELECT a + 1; END;\n"
                     "COMMENT ON FUNCTION add_one(int) IS 'x';\n");
    auto r = lint_files({f}, default_policy(), 1);
    CHECK(r.statements == 2);
    CHECK(r.syntax_errors == 0);
    CHECK(of_rule(r, "transaction-hygiene").empty());
}

TEST_CASE(
    "lint: deeply nested expressions are checked, and one too deep is a finding, not an abort",
    "[linter]") {
    Dir d;
    std::string deep = "SELECT 1";
    for (int i = 0; i < 600; ++i) {
        deep += "+1";  // two JSON levels each in libpg_query's tree
    }
    std::string too_deep = "SELECT 1";
    for (int i = 0; i < 20000; ++i) {
        too_deep += "+1";
    }
    auto ok = d.write("1_deep.up.sql", "CREATE TABLE a (id int);\n" + deep + ";\nDROP TABLE b;\n");
    auto bad = d.write("2_deeper.up.sql", too_deep + ";\nDROP TABLE c;\n");
    auto r = lint_files({ok, bad}, default_policy(), 2);
    CHECK(of_rule(r, "ban-drop-table").size() == 2);  // both files were checked to the end
    auto errors = of_rule(r, "syntax-error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]->file == bad);
    CHECK(errors[0]->line == 1);
    CHECK_THAT(errors[0]->message, Contains("cannot be checked"));
}

TEST_CASE("lint: a bad directive after the last statement is reported at its line", "[linter]") {
    // The problem is recorded after the last statement is gone (it once read
    // that statement's freed memory).
    Dir d;
    auto f = d.write("1_tail.up.sql",
                     "SELECT 1 AS a_rather_long_alias_for_the_heap;\n"
                     "-- safe-migrate: allow no-such-rule reason=\"x\"\n");
    auto r = lint_files({f}, default_policy(), 1);
    auto bad = of_rule(r, "invalid-directive");
    REQUIRE(bad.size() == 1);
    CHECK_THAT(bad[0]->message, Contains("no-such-rule"));
    CHECK(bad[0]->line == 2);
    CHECK(bad[0]->statement.empty());
}

}  // namespace planner_linter_test
