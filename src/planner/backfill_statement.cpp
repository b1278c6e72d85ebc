#include "planner/backfill_statement.hpp"

#include <cctype>
#include <vector>

#include "core/sql_quote.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/parse_tree.hpp"
#include "planner/sql_parser.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// A word of the statement outside strings, comments and quoted identifiers.
struct BackfillWord {
    std::string lower;
    size_t offset = 0;
    int depth = 0;  // parentheses around it
};

// The end of a dollar-quoted string that starts at i ("$tag$...$tag$"), or i
// when no dollar quote starts there ($1 is a parameter).
size_t skip_dollar_quote(const std::string& sql, size_t i) {
    size_t j = i + 1;
    while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
        ++j;
    }
    if (j >= sql.size() || sql[j] != '$' ||
        (j > i + 1 && std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
        return i;
    }
    std::string tag = sql.substr(i, j - i + 1);
    size_t end = sql.find(tag, j + 1);
    return end == std::string::npos ? sql.size() : end + tag.size();
}

// The words of sql (valid SQL: it parsed), with their nesting depth. With
// blank, comments are replaced by spaces in sql as they are met.
std::vector<BackfillWord> words_of(std::string& sql, bool blank = false) {
    std::vector<BackfillWord> words;
    int depth = 0;
    size_t i = 0;
    auto blank_out = [&](size_t from, size_t to) {
        for (size_t k = from; blank && k < to && k < sql.size(); ++k) {
            sql[k] = sql[k] == '\n' ? '\n' : ' ';
        }
    };
    while (i < sql.size()) {
        char c = sql[i];
        if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            size_t end = sql.find('\n', i);
            end = end == std::string::npos ? sql.size() : end;
            blank_out(i, end);
            i = end;
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            size_t start = i;
            int nest = 0;
            do {
                if (sql.compare(i, 2, "/*") == 0) {
                    ++nest, i += 2;
                } else if (sql.compare(i, 2, "*/") == 0) {
                    --nest, i += 2;
                } else {
                    ++i;
                }
            } while (nest > 0 && i < sql.size());
            blank_out(start, i);
        } else if (c == '\'' || c == '"') {
            bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
            for (++i; i < sql.size(); ++i) {
                if (escapes && sql[i] == '\\') {
                    ++i;
                } else if (sql[i] == c) {
                    if (i + 1 < sql.size() && sql[i + 1] == c) {
                        ++i;
                    } else {
                        break;
                    }
                }
            }
            ++i;
        } else if (c == '$' && skip_dollar_quote(sql, i) != i) {
            i = skip_dollar_quote(sql, i);
        } else if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
            ++i;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t start = i;
            while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) ||
                                      sql[i] == '_' || sql[i] == '$')) {
                ++i;
            }
            words.push_back({util::to_lower(sql.substr(start, i - start)), start, depth});
        } else {
            ++i;
        }
    }
    return words;
}

// The reason a SELECT's rows do not map to key ranges of one table, or "".
std::string select_problem(const ParseTree& select) {
    static const std::pair<const char*, const char*> k_refused[] = {
        {"withClause", "WITH"},     {"groupClause", "GROUP BY"},
        {"havingClause", "HAVING"}, {"distinctClause", "DISTINCT"},
        {"sortClause", "ORDER BY"}, {"limitCount", "LIMIT"},
        {"limitOffset", "OFFSET"},  {"windowClause", "a WINDOW clause"},
        {"valuesLists", "VALUES"},  {"larg", "a set operation (UNION, INTERSECT, EXCEPT)"},
    };
    for (const auto& [key, what] : k_refused) {
        if (select.contains(key)) {
            return std::string("its SELECT has ") + what;
        }
    }
    const ParseTree& from = member_list(select, "fromClause");
    if (from.size() != 1 || !from[0].contains("RangeVar")) {
        return "its SELECT must read exactly one table (no joins, no subqueries in FROM)";
    }
    return "";
}

// The split of sql around its top-level WHERE (the first at depth 0 from
// start), up to end.
core::BackfillStatement split_at_where(std::string sql, size_t start, size_t end) {
    core::BackfillStatement s;
    for (const auto& w : words_of(sql, true)) {
        if (w.depth == 0 && w.offset >= start && w.offset < end && w.lower == "where") {
            s.before = sql.substr(0, w.offset + 5) + " ";
            s.condition = std::string(util::trim(sql.substr(w.offset + 5, end - w.offset - 5)));
            break;
        }
    }
    if (s.before.empty()) {
        s.before = std::string(util::trim(sql.substr(0, end)));
    }
    s.after = end < sql.size() ? " " + std::string(util::trim(sql.substr(end))) : "";
    return s;
}

// Where ON CONFLICT starts at depth 0, or sql.size().
size_t on_conflict_offset(std::string sql) {
    auto words = words_of(sql);
    for (size_t i = 0; i + 1 < words.size(); ++i) {
        if (words[i].depth == 0 && words[i].lower == "on" && words[i + 1].lower == "conflict") {
            return words[i].offset;
        }
    }
    return sql.size();
}

void set_table(core::BackfillStatement& s, const ParseTree& range_var) {
    s.schema = range_var.value("schemaname", "public");
    s.table = range_var.value("relname", "");
    std::string alias = member(member(range_var, "alias"), "Alias").value("aliasname", "");
    if (alias.empty()) {
        alias = member(range_var, "alias").value("aliasname", "");
    }
    s.key_qualifier = core::quote_ident(alias.empty() ? s.table : alias);
}

BackfillParse refuse(const std::string& why) {
    return {std::nullopt, "a backfill statement cannot be split into key ranges: " + why};
}

}  // namespace

BackfillParse parse_backfill_statement(const std::string& sql) {
    ParseResult parsed = parse_sql(sql);
    if (parsed.error) {
        return {std::nullopt, "syntax error: " + parsed.error->message};
    }
    ParseDocument document;
    const ParseTree& stmts = member_list(document.parse(parsed.tree_json), "stmts");
    if (stmts.size() != 1) {
        return {std::nullopt, "a backfill migration holds exactly one statement (found " +
                                  std::to_string(stmts.size()) + ")"};
    }
    const ParseTree& stmt = member(stmts[0], "stmt");
    // UPDATE and DELETE split the same way: their WHERE, batched by key.
    for (const auto& [node, kind] :
         {std::pair{"UpdateStmt", "UPDATE"}, std::pair{"DeleteStmt", "DELETE"}}) {
        if (!stmt.contains(node)) {
            continue;
        }
        const ParseTree& body = stmt[node];
        for (const auto& [key, what] :
             {std::pair{"withClause", "WITH"}, std::pair{"returningList", "RETURNING"}}) {
            if (body.contains(key)) {
                return refuse(std::string("it has ") + what);
            }
        }
        if (member(body, "whereClause").contains("CurrentOfExpr")) {
            return refuse("it has WHERE CURRENT OF");
        }
        core::BackfillStatement s = split_at_where(sql, 0, sql.size());
        s.kind = kind;
        set_table(s, member(body, "relation"));
        return {s, ""};
    }
    if (stmt.contains("InsertStmt")) {
        const ParseTree& ins = stmt["InsertStmt"];
        const ParseTree& select = member(member(ins, "selectStmt"), "SelectStmt");
        if (!ins.contains("selectStmt") || select.empty()) {
            return refuse("an INSERT backfill reads its rows with SELECT ... FROM a table");
        }
        std::string why = ins.contains("withClause")      ? "it has WITH"
                          : ins.contains("returningList") ? "it has RETURNING"
                                                          : select_problem(select);
        if (!why.empty()) {
            return refuse(why);
        }
        size_t end = on_conflict_offset(sql);
        core::BackfillStatement s = split_at_where(sql, 0, end);
        s.kind = "INSERT ... SELECT";
        set_table(s, member(select, "fromClause")[0]["RangeVar"]);
        return {s, ""};
    }
    return {std::nullopt,
            "a backfill migration holds one UPDATE ..., DELETE ... or INSERT ... SELECT "
            "statement; this is " +
                first_line(sql, 60)};
}

}  // namespace sm::planner
