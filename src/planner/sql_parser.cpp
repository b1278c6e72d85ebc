#include "planner/sql_parser.hpp"

#include <pg_query.h>

#include <algorithm>

#include "util/strings.hpp"

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

size_t byte_offset_of_char(std::string_view text, size_t chars);

namespace {

// True when text[from, to) holds only whitespace, comments and semicolons.
bool only_trivia(std::string_view text, size_t from, size_t to) {
    size_t pos = from;
    while (true) {
        pos = skip_space_and_comments(text.substr(0, to), pos);
        if (pos < to && text[pos] == ';') {
            ++pos;
            continue;
        }
        return pos >= to;
    }
}

void add_piece(SplitResult& result, const std::string& text, size_t begin, size_t end) {
    if (SplitStatement piece = trim_statement(text, begin, end); piece.length > 0) {
        result.statements.push_back(piece);
    }
}

}  // namespace

SplitStatement trim_statement(std::string_view text, size_t begin, size_t end) {
    size_t first = skip_space_and_comments(text.substr(0, end), begin);
    while (end > first && (text[end - 1] == ' ' || text[end - 1] == '\n' || text[end - 1] == '\t' ||
                           text[end - 1] == '\r' || text[end - 1] == ';')) {
        --end;
    }
    return {first, end > first ? end - first : 0};
}

namespace {

// The pieces of text that split found (see split_statements).
SplitResult pieces_of(const std::string& text, PgQuerySplitResult split) {
    SplitResult result;
    if (split.error != nullptr) {
        int pos = split.error->cursorpos > 0 ? split.error->cursorpos - 1 : 0;
        result.error =
            SqlError{split.error->message, byte_offset_of_char(text, static_cast<size_t>(pos))};
        pg_query_free_split_result(split);
        return result;
    }
    // The scanner-based splitter skips text it cannot place (an unbalanced
    // parenthesis, a piece with no keyword such as a misspelt "VACUM;"). Nothing
    // may vanish: any such text becomes a piece of its own, so parsing it
    // reports the syntax error.
    size_t covered = 0;
    for (int i = 0; i < split.n_stmts; ++i) {
        auto begin = static_cast<size_t>(split.stmts[i]->stmt_location);
        size_t end = split.stmts[i]->stmt_len == 0
                         ? text.size()
                         : begin + static_cast<size_t>(split.stmts[i]->stmt_len);
        if (begin > covered && !only_trivia(text, covered, begin)) {
            add_piece(result, text, covered, begin);
        }
        add_piece(result, text, begin, end);
        covered = std::max(covered, end);
    }
    if (covered < text.size() && !only_trivia(text, covered, text.size())) {
        add_piece(result, text, covered, text.size());
    }
    pg_query_free_split_result(split);
    return result;
}

}  // namespace

SplitResult split_statements(const std::string& text) {
    return pieces_of(text, pg_query_split_with_scanner(text.c_str()));
}

SplitResult split_statements_parsed(const std::string& text) {
    PgQuerySplitResult parsed = pg_query_split_with_parser(text.c_str());
    if (parsed.error == nullptr) {
        return pieces_of(text, parsed);
    }
    pg_query_free_split_result(parsed);
    return split_statements(text);
}

size_t byte_offset_of_char(std::string_view text, size_t chars) {
    size_t pos = 0;
    while (pos < text.size() && chars > 0) {
        ++pos;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) {
            ++pos;
        }
        --chars;
    }
    return pos;
}

ParseResult parse_sql(const std::string& sql) {
    ParseResult result;
    // The server would reject such bytes, and the parse tree (JSON) cannot hold them.
    if (size_t bad = util::first_invalid_utf8(sql); bad != std::string::npos) {
        result.error = SqlError{"invalid UTF-8 byte sequence (files must be UTF-8)", bad};
        return result;
    }
    PgQueryParseResult parsed = pg_query_parse(sql.c_str());
    if (parsed.error != nullptr) {
        // PostgreSQL reports error positions in characters, not bytes.
        int pos = parsed.error->cursorpos > 0 ? parsed.error->cursorpos - 1 : 0;
        result.error =
            SqlError{parsed.error->message, byte_offset_of_char(sql, static_cast<size_t>(pos))};
    } else {
        result.tree_json = parsed.parse_tree;
    }
    pg_query_free_parse_result(parsed);
    return result;
}

const char* grammar_version() {
    return PG_VERSION;
}

}  // namespace sm::planner
