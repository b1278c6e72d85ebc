#pragma once
// Helpers shared by the rule family unit tests (planner_rules_*_test.cpp): an
// Emitter that records findings, running one family on a parsed statement, and
// FileState builders. Header-only, so the unit test glob does not pick it up.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "planner/rule_catalog.hpp"
#include "planner/sql_parser.hpp"
#include "unit_helpers.hpp"

namespace sm_test {

// One finding as a rule family emitted it.
struct Emitted {
    std::string rule;
    std::string message;
    sm::planner::EmitExtras extras;
};

// The findings of rule among all, in order.
inline std::vector<Emitted> only(const std::vector<Emitted>& all, const std::string& rule) {
    std::vector<Emitted> out;
    for (const auto& e : all) {
        if (e.rule == rule) {
            out.push_back(e);
        }
    }
    return out;
}

// An Emitter that keeps every finding, in the order emitted.
class Recorder : public sm::planner::Emitter {
  public:
    void emit(const char* rule, std::string message,
              const sm::planner::EmitExtras& extras) override {
        all.push_back({rule, message, extras});
    }
    // The findings of one rule, in order.
    std::vector<Emitted> of(const std::string& rule) const { return only(all, rule); }

    std::vector<Emitted> all;
};

// A rule family entry point (rule_api.hpp), e.g. sm::planner::check_columns.
using RuleFamily = void (*)(const sm::planner::StatementRef&, const sm::planner::FileState&,
                            sm::planner::Emitter&);

// Parses sql, which must parse, and runs family on its first statement (line 1,
// column 1) in file state f; returns what it emitted.
inline Recorder run_family(RuleFamily family, const std::string& sql,
                           const sm::planner::FileState& f = sm::planner::FileState{}) {
    auto parsed = sm::planner::parse_sql(sql);
    REQUIRE_FALSE(parsed.error);
    static thread_local sm::planner::ParseDocument document;
    const sm::planner::ParseTree& tree = document.parse(parsed.tree_json);
    const sm::planner::ParseTree& stmt = tree["stmts"][0]["stmt"];
    REQUIRE(stmt.size() == 1);
    const std::string kind(stmt.begin().key());
    const sm::planner::LockPrediction lock =
        sm::planner::predict_lock(kind, stmt.begin().value(), f.pg_version);
    sm::planner::StatementRef s{stmt.begin().value(), kind, sql, 1, 1, lock, sql};
    Recorder rec;
    family(s, f, rec);
    return rec;
}

// Checks what the driver relies on: each finding names a catalog rule and has a
// one-line message.
inline void check_well_formed(const std::vector<Emitted>& all) {
    for (const auto& e : all) {
        INFO(e.rule);
        CHECK(sm::planner::find_rule(e.rule) != nullptr);
        CHECK(e.message.find('\n') == std::string::npos);
    }
}

// run_family(family, sql, f).all, each finding checked with check_well_formed.
inline std::vector<Emitted> run_well_formed(RuleFamily family, const std::string& sql,
                                            const sm::planner::FileState& f) {
    auto all = run_family(family, sql, f).all;
    check_well_formed(all);
    return all;
}

// A migration marked -- safe-migrate: no-transaction.
inline sm::planner::FileState no_transaction_file() {
    sm::planner::FileState f;
    f.no_transaction = true;
    return f;
}

// A file linted for a target server (server_version_num, e.g. 110000).
inline sm::planner::FileState at_version(int server_version_num) {
    sm::planner::FileState f;
    f.pg_version = server_version_num;
    return f;
}

}  // namespace sm_test
