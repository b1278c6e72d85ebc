#include "planner/plan_findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "planner/rule_catalog.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// An error about lock or rewrite time on existing tables that are all small
// becomes a warning (attach_table_sizes).
// statements: the finding's migration's statements by line.
void weigh(const Plan& plan, const std::map<int, const PlannedStatement*>& statements, Finding& f) {
    if (f.severity != Severity::error || !size_dependent(f.rule)) {
        return;
    }
    auto at = statements.find(f.line);
    if (at == statements.end() || at->second->lock.relations.empty()) {
        return;
    }
    const PlannedStatement* s = at->second;
    int64_t largest = 0;
    for (const auto& table : s->lock.tables()) {
        auto it = plan.tables.find(table);
        if (it == plan.tables.end() || !it->second.exists) {
            return;  // unknown size: assume large
        }
        largest = std::max(largest, it->second.bytes);
    }
    if (largest >= plan.policy.small_table_bytes) {
        return;
    }
    f.severity = Severity::warning;
    f.message +=
        fmt::format(" (a warning here: the table is {}, under small_table_bytes {})",
                    util::human_bytes(largest), util::human_bytes(plan.policy.small_table_bytes));
}

}  // namespace

void decide(Plan& plan) {
    plan.blocked_because = plan.drift;
    if (plan.lint.syntax_errors > 0) {
        plan.blocked_because.push_back(std::to_string(plan.lint.syntax_errors) +
                                       " statement(s) do not parse");
    }
    if (plan.lint.errors > 0) {
        plan.blocked_because.push_back(std::to_string(plan.lint.errors) +
                                       " lint error(s) under policy " + plan.policy.name);
    }
}

FileReport broken_down_report(const core::Migration& m,
                              const std::vector<core::SourceProblem>& problems,
                              const Policy& policy) {
    FileReport report;
    report.file = m.down->path;
    const Severity severity = policy.severity_of(k_broken_down_rule);
    if (severity == Severity::off) {
        return report;
    }
    const RuleInfo* info = find_rule(k_broken_down_rule);
    for (const auto& p : problems) {
        Finding f;
        f.rule = info->id;
        f.severity = severity;
        f.file = p.file;
        f.line = p.line;
        f.column = 1;
        f.message = "rollback of " + m.id() + " will fail (" + p.message +
                    "); automatic rollback falls back to the backup";
        f.alternative = info->alternative;
        report.findings.push_back(std::move(f));
    }
    return report;
}

void attach_table_sizes(Plan& plan, std::map<std::string, core::TableSize> tables) {
    plan.tables = std::move(tables);
    if (plan.policy.small_table_bytes > 0) {
        std::map<std::filesystem::path, const PlannedMigration*> by_file;
        for (const auto& m : plan.migrations) {
            by_file.emplace(m.file, &m);
        }
        for (auto& file : plan.lint.files) {
            auto m = by_file.find(file.file);
            if (m == by_file.end()) {
                continue;  // a down file's report: nothing of it runs now
            }
            std::map<int, const PlannedStatement*> statements;
            for (const auto& st : m->second->statements) {
                statements.emplace(st.line, &st);
            }
            for (auto& f : file.findings) {
                weigh(plan, statements, f);
            }
        }
    }
    plan.lint = summarize(std::move(plan.lint.files));
    decide(plan);
}

}  // namespace sm::planner
