#include "seed/seed_summary.hpp"

#include "planner/parse_helpers.hpp"
#include "planner/parse_tree.hpp"
#include "planner/sql_parser.hpp"

namespace sm::seed {

int64_t SeedRunSummary::total_rows() const {
    int64_t total = 0;
    for (const auto& [table, count] : rows) {
        total += count;
    }
    return total;
}

std::string insert_target(const std::string& sql) {
    planner::ParseResult parsed = planner::parse_sql(sql);
    if (parsed.error) {
        return "";
    }
    planner::ParseDocument document;
    const planner::ParseTree& stmts =
        planner::member_list(document.parse(parsed.tree_json), "stmts");
    if (stmts.size() != 1) {
        return "";
    }
    const planner::ParseTree& stmt = planner::member(stmts[0], "stmt");
    if (!stmt.contains("InsertStmt")) {
        return "";
    }
    return planner::qualified_name(planner::member(stmt["InsertStmt"], "relation"));
}

}  // namespace sm::seed
