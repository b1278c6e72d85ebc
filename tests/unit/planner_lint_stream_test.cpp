// Lint output, streamed (lint_to, the CLI) and from a report (render_lint, plan):
// every format byte for byte against committed files, SARIF's required fields,
// GitHub annotation escaping, and the held-back findings and spool of a big run.
//
// The expected files in tests/fixtures/unit/lint_output/expected/ were written by
// the binary before lint streamed its output. Paths in the output are relative to
// the working directory, so the linter runs from tests/fixtures/unit. After a
// deliberate change of the output, regenerate them from the repository root with
//
//   cd tests/fixtures/unit; E=lint_output/expected; SM=../../../build/safe-migrate
//   for f in text json sarif github; do
//     $SM lint --policy default --format $f lint_output >$E/findings.$f
//     $SM lint --policy default --format $f lint_output/clean >$E/clean.$f
//   done
//   sed -i 's/^ \{10\}"version": ".*"$/          "version": "@TOOL_VERSION@"/' $E/*.sarif
//
// and review the diff: the tool's version in SARIF is a placeholder.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/identity.hpp"
#include "planner/lint_output.hpp"
#include "planner/lint_render.hpp"
#include "planner/lint_stream.hpp"
#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "unit_helpers.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_lint_stream_test {

using namespace sm::planner;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path fixtures_dir() {
    return fs::path(SM_FIXTURES) / "unit";
}

const std::vector<std::pair<LintFormat, std::string>>& formats() {
    static const std::vector<std::pair<LintFormat, std::string>> all = {
        {LintFormat::text, "text"},
        {LintFormat::json, "json"},
        {LintFormat::sarif, "sarif"},
        {LintFormat::github, "github"}};
    return all;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The committed expected output, with this build's version in SARIF.
std::string expected(const std::string& name) {
    std::string text = read_file(fixtures_dir() / "lint_output" / "expected" / name);
    const std::string placeholder = "@TOOL_VERSION@";
    if (auto at = text.find(placeholder); at != std::string::npos) {
        text.replace(at, placeholder.size(), sm::core::tool_version());
    }
    return text;
}

sm::util::ProcessResult run_lint(const std::string& format, const std::string& dir,
                                 const std::string& jobs) {
    sm::util::ProcessSpec spec;
    spec.program = SM_BINARY;
    spec.args = {"lint", "--policy", "default", "--format", format, "--jobs", jobs, dir};
    spec.cwd = fixtures_dir();
    return sm::util::run_process(spec);
}

// Runs the test body from a fixed working directory, and goes back.
class WorkingDirectory {
  public:
    explicit WorkingDirectory(const fs::path& dir) : m_saved(fs::current_path()) {
        fs::current_path(dir);
    }
    ~WorkingDirectory() { fs::current_path(m_saved); }
    WorkingDirectory(const WorkingDirectory&) = delete;
    WorkingDirectory& operator=(const WorkingDirectory&) = delete;

  private:
    fs::path m_saved;
};

std::string stream(const std::vector<fs::path>& files, LintFormat format, int jobs,
                   LintTotals* totals = nullptr) {
    std::string out;
    LintTotals t = lint_to({files.begin(), files.end()}, load_policy(std::string("default")), jobs,
                           format, [&out](std::string_view piece) { out += piece; });
    if (totals != nullptr) {
        *totals = t;
    }
    return out;
}

}  // namespace

TEST_CASE("lint output: the CLI writes every format byte for byte as committed",
          "[lint-stream][output]") {
    for (const auto& [format, name] : formats()) {
        for (const std::string jobs : {"1", "3"}) {
            INFO(name << " --jobs " << jobs);
            auto findings = run_lint(name, "lint_output", jobs);
            CHECK(findings.exit_code == 3);  // a syntax error
            CHECK(findings.out == expected("findings." + name));
            auto clean = run_lint(name, "lint_output/clean", jobs);
            CHECK(clean.exit_code == 0);
            CHECK(clean.out == expected("clean." + name));
        }
    }
}

TEST_CASE("lint output: lint_to and render_lint of lint_files' report write the same bytes",
          "[lint-stream][output]") {
    WorkingDirectory cwd(fixtures_dir());
    const Policy policy = load_policy(std::string("default"));
    for (const std::string dir : {"lint_output", "lint_output/clean"}) {
        auto files = expand_inputs({dir});
        LintReport report = lint_files({files.begin(), files.end()}, policy, 2);
        const std::string prefix = dir == "lint_output" ? "findings." : "clean.";
        for (const auto& [format, name] : formats()) {
            INFO(dir << " " << name);
            CHECK(render_lint(report, format, policy) == expected(prefix + name));
            LintTotals totals;
            CHECK(stream(files, format, 2, &totals) == expected(prefix + name));
            CHECK(totals.files == report.files.size());
            CHECK(totals.statements == report.statements);
            CHECK(totals.errors == report.errors);
            CHECK(totals.warnings == report.warnings);
            CHECK(totals.suppressed == report.suppressed);
            CHECK(totals.syntax_errors == report.syntax_errors);
        }
    }
}

TEST_CASE("lint output: SARIF has every field the 2.1.0 schema requires", "[lint-stream][sarif]") {
    json log = json::parse(expected("findings.sarif"));
    REQUIRE(log.is_object());
    CHECK(log["version"] == "2.1.0");  // required: the one version the schema allows
    REQUIRE(log["$schema"].is_string());
    CHECK_THAT(log["$schema"].get<std::string>(), Catch::Matchers::Contains("sarif-2.1.0"));
    REQUIRE(log["runs"].is_array());  // required
    REQUIRE(log["runs"].size() == 1);
    const json& run = log["runs"][0];
    REQUIRE(run["tool"].is_object());  // run: tool required
    const json& driver = run["tool"]["driver"];
    REQUIRE(driver.is_object());  // tool: driver required
    REQUIRE(driver["name"].is_string());
    CHECK(driver["name"] == "safe-migrate");  // toolComponent: name required
    CHECK(driver["version"] == sm::core::tool_version());
    REQUIRE(driver["rules"].is_array());
    std::set<std::string> rule_ids;
    for (const auto& rule : driver["rules"]) {
        REQUIRE(rule["id"].is_string());  // reportingDescriptor: id required
        CHECK(rule_ids.insert(rule["id"].get<std::string>()).second);
        CHECK(rule["shortDescription"]["text"].is_string());  // multiformatMessageString: text
        CHECK(std::set<std::string>{"none", "note", "warning", "error"}.count(
                  rule["defaultConfiguration"]["level"].get<std::string>()) == 1);
    }
    REQUIRE(run["results"].is_array());
    json report = json::parse(expected("findings.json"));
    CHECK(run["results"].size() == report["findings"].size());
    int suppressed = 0;
    for (const auto& result : run["results"]) {
        INFO(result.dump());
        // result: message required, and a message needs text (or an id).
        REQUIRE(result["message"]["text"].is_string());
        CHECK_FALSE(result["message"]["text"].get<std::string>().empty());
        CHECK(result["ruleId"].is_string());  // (unused-suppression has no catalog entry)
        CHECK(std::set<std::string>{"none", "note", "warning", "error"}.count(
                  result["level"].get<std::string>()) == 1);
        REQUIRE(result["locations"].is_array());
        REQUIRE(result["locations"].size() == 1);
        const json& physical = result["locations"][0]["physicalLocation"];
        REQUIRE(physical["artifactLocation"]["uri"].is_string());
        CHECK_THAT(physical["artifactLocation"]["uri"].get<std::string>(),
                   Catch::Matchers::StartsWith("lint_output/"));
        CHECK(physical["region"]["startLine"].get<int>() >= 1);  // minimum 1
        CHECK(physical["region"]["startColumn"].get<int>() >= 1);
        if (result.contains("suppressions")) {
            ++suppressed;
            REQUIRE(result["suppressions"].is_array());
            for (const auto& s : result["suppressions"]) {
                CHECK(s["kind"] == "inSource");  // suppression: kind required
                CHECK(s["justification"].is_string());
            }
        }
    }
    CHECK(suppressed == report["summary"]["suppressed"].get<int>());
    CHECK(suppressed > 0);
    // An empty run still carries an (empty) results array.
    json clean = json::parse(expected("clean.sarif"));
    CHECK(clean["runs"][0]["results"] == json::array());
}

TEST_CASE("lint output: GitHub annotations are one escaped line each", "[lint-stream][github]") {
    const std::string out = expected("findings.github");
    const std::regex line(
        R"(::(error|warning) file=[^,:\r\n]+,line=[1-9][0-9]*,col=[1-9][0-9]*,title=[a-z-]+::[^\r\n]+)");
    std::istringstream lines(out);
    int count = 0;
    for (std::string l; std::getline(lines, l); ++count) {
        INFO(l);
        CHECK(std::regex_match(l, line));
    }
    // One annotation per unsuppressed finding.
    json summary = json::parse(expected("findings.json"))["summary"];
    CHECK(count == summary["errors"].get<int>() + summary["warnings"].get<int>());
    using Catch::Matchers::Contains;
    CHECK_THAT(out, Contains("file=lint_output/20260101000003_customers%2Cagain.up.sql,line=1"));
    CHECK_THAT(out, Contains("public.we\"ird\\name, 100%25: yes destroys"));  // message: % only
    CHECK_THAT(out, Contains("public.line%0Abreak destroys"));
    CHECK_THAT(out, Contains("%0ASafe alternative: "));
}

TEST_CASE("lint output: findings a later file settles are held back, the rest spooled in order",
          "[lint-stream][spool]") {
    sm_test::TempTree t("sm-unit-stream");
    WorkingDirectory cwd(t.path());
    // 1: a foreign key without an index, served by the last file's index (child_a)
    // or never (child_b); then enough findings to spill the spool to its file.
    std::vector<fs::path> files;
    files.push_back(t.write("0001_fk.up.sql",
                            "CREATE TABLE parent (id int PRIMARY KEY);\n"
                            "CREATE TABLE child_a (id int, parent_id int REFERENCES parent);\n"
                            "CREATE TABLE child_b (id int, parent_id int REFERENCES parent);\n"
                            "DROP TABLE old_1;\n"));
    std::string drops = "-- safe-migrate: no-transaction\n";
    for (int i = 0; i < 300; ++i) {
        drops += "DROP TABLE old_" + std::to_string(i) + ";\n";
    }
    for (int f = 2; f <= 21; ++f) {
        files.push_back(t.write("00" + std::to_string(f) + "_drops.up.sql", drops));
    }
    files.push_back(t.write("0099_index.up.sql",
                            "-- safe-migrate: no-transaction\n"
                            "CREATE INDEX CONCURRENTLY IF NOT EXISTS child_a_parent_idx ON "
                            "child_a (parent_id);\n"));
    const Policy policy = load_policy(std::string("default"));
    LintReport report = lint_files({files.begin(), files.end()}, policy, 2);
    int fk = 0;
    for (const auto& f : report.files[0].findings) {
        fk += f.rule == "fk-missing-index" ? 1 : 0;
    }
    REQUIRE(fk == 1);  // child_b's
    for (const auto& [format, name] : formats()) {
        INFO(name);
        std::string batch = render_lint(report, format, policy);
        CHECK(batch.size() > (size_t(1) << 20));  // more than the spool keeps in memory
        for (int jobs : {1, 2}) {
            LintTotals totals;
            CHECK(stream(files, format, jobs, &totals) == batch);
            CHECK(totals.warnings == report.warnings);
            CHECK(totals.errors == report.errors);
        }
    }
    // The spooled JSON read back whole: every finding once.
    size_t findings = 0;
    for (const auto& file : report.files) {
        findings += file.findings.size();
    }
    json document = json::parse(render_lint(report, LintFormat::json, policy));
    CHECK(document["findings"].size() == findings);
}

TEST_CASE("lint output: JSON strings escaped as nlohmann prints them, at every offset",
          "[lint-stream][json]") {
    // Every ASCII byte, multi-byte UTF-8, and bytes that are not UTF-8, each at
    // each offset of an eight-byte word (the escaper reads words).
    std::string ascii;
    for (int c = 1; c < 0x80; ++c) {
        ascii += static_cast<char>(c);
    }
    ascii += std::string(1, '\0');
    for (const std::string& tail :
         {ascii, std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string("\"\\\n"),
          std::string("ab\xFF"
                      "cd\xC3"),
          std::string("plain text, no escapes at all")}) {
        for (size_t offset = 0; offset < 9; ++offset) {
            std::string text = std::string(offset, 'x') + tail;
            INFO(offset);
            std::string lower;
            append_json_quoted(text, lower);
            CHECK(lower == json(sm::util::replace_invalid_utf8(text)).dump());
            std::string upper;
            append_json_quoted(text, upper, true);
            std::string expected = lower;  // \u00xx with upper-case hex, as rapidjson writes
            for (size_t at = expected.find("\\u00"); at != std::string::npos;
                 at = expected.find("\\u00", at + 1)) {
                for (size_t i = at + 4; i < at + 6; ++i) {
                    expected[i] = static_cast<char>(std::toupper(expected[i]));
                }
            }
            CHECK(upper == expected);
        }
    }
}

TEST_CASE("lint output: a JSON finding is the bytes rapidjson wrote for it",
          "[lint-stream][json]") {
    Finding f;
    f.rule = "ban-drop-table";
    f.severity = Severity::warning;
    f.file = "/nowhere/x.sql";
    f.line = 3;
    f.column = 7;
    f.statement = "DROP TABLE \"we\\ird\"\nCASCADE";
    f.message = "say \"hi\"\\ now\x01\x1b\x7f\t\b\f\r\n caf\xC3\xA9 done \xFF";
    f.lock = LockLevel::access_exclusive;
    f.lock_detail = "held";
    f.table_work = "-";
    f.alternative = "";
    f.tables = {"public.a", "b"};
    f.suppressed_by = Suppression{"/nowhere/x.sql", 2, "ban-drop-table", "ok \"why\"", true, true};
    std::string out;
    append_finding(LintFormat::json, f, out);
    // The message as rapidjson escaped it (upper-case hex; 0x7F as it is), the
    // byte that is not UTF-8 as U+FFFD.
    CHECK(out == std::string("{\"alternative\":\"\",\"blocks\":\"") + lock_blocks(f.lock) +
                     "\",\"column\":7,\"file\":\"/nowhere/x.sql\",\"line\":3,\"lock\":\"ACCESS "
                     "EXCLUSIVE\",\"lock_detail\":\"held\",\"message\":\"say \\\"hi\\\"\\\\ "
                     "now\\u0001\\u001B\x7f\\t\\b\\f\\r\\n caf\xC3\xA9 done \xEF\xBF\xBD\","
                     "\"rewrite\":null,\"rule\":\"ban-drop-table\",\"severity\":\"warning\","
                     "\"statement\":\"DROP TABLE \\\"we\\\\ird\\\"\\nCASCADE\",\"suppressed\":{"
                     "\"line\":2,\"reason\":\"ok \\\"why\\\"\",\"whole_file\":true},"
                     "\"table_work\":\"-\",\"tables\":[\"public.a\",\"b\"]}");
    f.suppressed_by.reset();
    f.lock = LockLevel::none;
    f.tables.clear();
    f.rewrite = "x";
    out.clear();
    append_finding(LintFormat::json, f, out);
    CHECK_THAT(out, Catch::Matchers::Contains("\"blocks\":null,\"column\""));
    CHECK_THAT(out, Catch::Matchers::Contains("\"lock\":null,\"lock_detail\""));
    CHECK_THAT(out,
               Catch::Matchers::Contains("\"rewrite\":\"x\",\"rule\"", Catch::CaseSensitive::Yes));
    CHECK_THAT(
        out, Catch::Matchers::EndsWith("\"suppressed\":null,\"table_work\":\"-\",\"tables\":[]}"));
    CHECK(json::parse(sm::util::replace_invalid_utf8(out))["message"].get<std::string>().size() >
          0);
}

TEST_CASE("lint output: a GitHub annotation escapes %, CR, LF and, in properties, : and ,",
          "[lint-stream][github]") {
    Finding f;
    f.rule = "ban-drop-table";
    f.severity = Severity::error;
    f.file = "/nowhere/a:b,c%d.sql";
    f.line = 0;  // shown as 1
    f.column = 4;
    f.message = "100% sure: a,b\r\nnext";
    f.alternative = "do: this, 50%";
    std::string out;
    append_finding(LintFormat::github, f, out);
    CHECK(out ==
          "::error file=/nowhere/a%3Ab%2Cc%25d.sql,line=1,col=4,title=ban-drop-table::100%25 "
          "sure: a,b%0D%0Anext%0ASafe alternative: do: this, 50%25\n");
    f.suppressed_by = Suppression{};
    out.clear();
    append_finding(LintFormat::github, f, out);
    CHECK(out.empty());  // suppressed: no annotation
}

}  // namespace planner_lint_stream_test
