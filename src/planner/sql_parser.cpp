#include "planner/sql_parser.hpp"

#include <pg_query.h>

namespace sm::planner {

size_t skip_space_and_comments(std::string_view text, size_t pos) {
    while (pos < text.size()) {
        char c = text[pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            ++pos;
        } else if (c == '-' && pos + 1 < text.size() && text[pos + 1] == '-') {
            size_t nl = text.find('\n', pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
        } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '*') {
            // Block comments nest in PostgreSQL.
            int depth = 0;
            while (pos < text.size()) {
                if (text.compare(pos, 2, "/*") == 0) {
                    ++depth;
                    pos += 2;
                } else if (text.compare(pos, 2, "*/") == 0) {
                    --depth;
                    pos += 2;
                    if (depth == 0) {
                        break;
                    }
                } else {
                    ++pos;
                }
            }
        } else {
            break;
        }
    }
    return pos;
}

SplitResult split_statements(const std::string& text) {
    SplitResult result;
    PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
    if (split.error != nullptr) {
        int pos = split.error->cursorpos > 0 ? split.error->cursorpos - 1 : 0;
        result.error = SqlError{split.error->message, static_cast<size_t>(pos)};
        pg_query_free_split_result(split);
        return result;
    }
    for (int i = 0; i < split.n_stmts; ++i) {
        auto begin = static_cast<size_t>(split.stmts[i]->stmt_location);
        size_t end = split.stmts[i]->stmt_len == 0
                         ? text.size()
                         : begin + static_cast<size_t>(split.stmts[i]->stmt_len);
        size_t first = skip_space_and_comments(text, begin);
        if (first >= end) {
            continue;  // only comments
        }
        while (end > first &&
               (text[end - 1] == ' ' || text[end - 1] == '\n' || text[end - 1] == '\t' ||
                text[end - 1] == '\r' || text[end - 1] == ';')) {
            --end;
        }
        result.statements.push_back({first, end - first});
    }
    pg_query_free_split_result(split);
    return result;
}

ParseResult parse_sql(const std::string& sql) {
    ParseResult result;
    PgQueryParseResult parsed = pg_query_parse(sql.c_str());
    if (parsed.error != nullptr) {
        int pos = parsed.error->cursorpos > 0 ? parsed.error->cursorpos - 1 : 0;
        result.error = SqlError{parsed.error->message, static_cast<size_t>(pos)};
    } else {
        result.tree_json = parsed.parse_tree;
    }
    pg_query_free_parse_result(parsed);
    return result;
}

}  // namespace sm::planner
