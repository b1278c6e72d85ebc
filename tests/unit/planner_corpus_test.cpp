// Table-driven tests over two corpora of SQL files under tests/fixtures/unit:
//
//   safe/NNN_name.up.sql        migrations written the recommended way (PostgreSQL's
//                               documented patterns): each, linted alone under the
//                               shipped default policy, draws no warning and no error.
//   hazards/<rule>[-variant].sql  one hazard each: the rule its name starts with fires
//                               with its catalog severity. "-pg11" in the name lints
//                               it for a PostgreSQL 11 target.
//
// Every hazard's findings also state the same lock in their message as on their
// lock line.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "planner/rule_catalog.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_corpus_test {

using namespace sm::planner;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> corpus(const std::string& name) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(SM_FIXTURES) / "unit" / name)) {
        if (entry.path().extension() == ".sql") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// "set-not-null-check-not-validated.sql" -> "set-not-null": the longest catalog id
// the file name starts with, followed by "-" or the end; "" when none.
std::string hazard_rule(const fs::path& file) {
    std::string stem = file.filename().string();
    stem = stem.substr(0, stem.find('.'));
    std::string best;
    for (const auto& rule : rule_catalog()) {
        const std::string id = rule.id;
        if ((stem == id || stem.rfind(id + "-", 0) == 0) && id.size() > best.size()) {
            best = id;
        }
    }
    return best;
}

Policy policy_for(const fs::path& file) {
    Policy policy = load_policy(std::string("default"));
    if (file.filename().string().find("-pg11") != std::string::npos) {
        policy.pg_version = 110000;
    }
    return policy;
}

// Lock names written in text, longest first at each position ("SHARE ROW
// EXCLUSIVE" is one name, not SHARE and EXCLUSIVE), upper case whole words only.
std::set<LockLevel> locks_named(const std::string& text) {
    std::vector<LockLevel> levels;
    for (int l = static_cast<int>(LockLevel::access_share);
         l <= static_cast<int>(LockLevel::access_exclusive); ++l) {
        levels.push_back(static_cast<LockLevel>(l));
    }
    std::sort(levels.begin(), levels.end(), [](LockLevel a, LockLevel b) {
        return std::string(lock_name(a)).size() > std::string(lock_name(b)).size();
    });
    auto boundary = [&](size_t i) {
        return i >= text.size() || !std::isalnum(static_cast<unsigned char>(text[i]));
    };
    std::set<LockLevel> found;
    for (size_t i = 0; i < text.size();) {
        bool matched = false;
        for (LockLevel l : levels) {
            const std::string name = lock_name(l);
            if ((i == 0 || boundary(i - 1)) && text.compare(i, name.size(), name) == 0 &&
                boundary(i + name.size())) {
                found.insert(l);
                i += name.size();
                matched = true;
                break;
            }
        }
        i += matched ? 0 : 1;
    }
    return found;
}

}  // namespace

TEST_CASE("corpus: every safe migration lints with no warning and no error", "[corpus]") {
    const auto files = corpus("safe");
    REQUIRE(files.size() >= 25);
    for (const auto& file : files) {
        INFO(file.filename().string());
        CHECK(std::regex_match(file.filename().string(),
                               std::regex(R"([0-9]+_[A-Za-z0-9_-]+\.up\.sql)")));
        LintReport report = lint_files({file}, policy_for(file), 1);
        for (const auto& f : report.files[0].findings) {
            if (f.severity != Severity::off && !f.suppressed_by) {
                FAIL_CHECK(std::string(f.rule) + " at line " + std::to_string(f.line) + ": " +
                           f.message);
            }
        }
        CHECK(report.errors == 0);
        CHECK(report.warnings == 0);
    }
}

TEST_CASE("corpus: every hazard draws the rule its file is named after", "[corpus]") {
    for (const auto& file : corpus("hazards")) {
        INFO(file.filename().string());
        const std::string rule = hazard_rule(file);
        REQUIRE_FALSE(rule.empty());
        const RuleInfo* info = find_rule(rule);
        LintReport report = lint_files({file}, policy_for(file), 1);
        std::vector<std::string> seen;
        bool fired = false;
        for (const auto& f : report.files[0].findings) {
            seen.push_back(std::string(f.rule));
            fired = fired || (f.rule == rule && f.severity == info->default_severity);
        }
        INFO("findings: " << Catch::Detail::stringify(seen));
        CHECK(fired);
    }
}

TEST_CASE("corpus: every error rule and every hazard rule has a hazard file", "[corpus]") {
    std::set<std::string> covered;
    for (const auto& file : corpus("hazards")) {
        covered.insert(hazard_rule(file));
    }
    std::vector<std::string> wanted = {"ban-unbatched-dml", "multiple-tables-access-exclusive",
                                       "replica-identity-change", "concurrent-index-if-not-exists",
                                       "explicit-lock-or-trigger-ddl"};
    for (const auto& rule : rule_catalog()) {
        if (rule.default_severity == Severity::error) {
            wanted.emplace_back(rule.id);
        }
    }
    for (const auto& rule : wanted) {
        INFO(rule);
        CHECK(covered.count(rule) == 1);
    }
}

TEST_CASE("corpus: a finding's message names no lock other than its lock line", "[corpus]") {
    for (const auto& file : corpus("hazards")) {
        LintReport report = lint_files({file}, policy_for(file), 1);
        for (const auto& f : report.files[0].findings) {
            std::set<LockLevel> line = locks_named(std::string(f.lock_detail));
            if (f.lock != LockLevel::none) {
                line.insert(f.lock);
            }
            for (LockLevel named : locks_named(f.message)) {
                INFO(file.filename().string() << ": " << f.rule << ": " << f.message);
                INFO("lock line: " << lock_name(f.lock) << " (" << f.lock_detail << ")");
                CHECK(line.count(named) == 1);
            }
        }
    }
}

TEST_CASE("corpus: lock names are read whole", "[corpus]") {
    CHECK(locks_named("takes SHARE ROW EXCLUSIVE on t") ==
          std::set<LockLevel>{LockLevel::share_row_exclusive});
    CHECK(locks_named("ACCESS EXCLUSIVE, then SHARE; EXCLUSIVE") ==
          std::set<LockLevel>{LockLevel::access_exclusive, LockLevel::share, LockLevel::exclusive});
    CHECK(locks_named("a shared lock, SHAREHOLDER").empty());
}

}  // namespace planner_corpus_test
