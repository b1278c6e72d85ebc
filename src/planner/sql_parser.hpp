#pragma once
// Splitting and parsing SQL with PostgreSQL's own parser (libpg_query).
// This is the only part of the code base that includes pg_query.h.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::planner {

struct SqlError {
    std::string message;
    size_t offset = 0;  // byte offset in the text given
};

struct SplitStatement {
    size_t offset = 0;  // of the first token, past leading whitespace and comments
    size_t length = 0;  // up to, not including, the terminating semicolon
};

struct SplitResult {
    std::vector<SplitStatement> statements;
    std::optional<SqlError> error;  // a scanner error (e.g. an unterminated string)
};

// The statement in text[begin, end): from its first token (past whitespace and
// comments) to before trailing whitespace and semicolons; length 0 when only
// those are there.
SplitStatement trim_statement(std::string_view text, size_t begin, size_t end);

// Splits text into statements with the PostgreSQL scanner, so strings, comments
// and dollar quotes are respected. Comment-only pieces are dropped.
SplitResult split_statements(const std::string& text);

// Like split_statements, but with PostgreSQL's parser when the whole text
// parses: a SQL-standard function body (BEGIN ATOMIC ... END) holds semicolons
// the scanner splits at. Otherwise the scanner's split, so each statement's
// syntax error can be found on its own.
SplitResult split_statements_parsed(const std::string& text);

struct ParseResult {
    std::string tree_json;  // libpg_query's JSON parse tree, when ok
    std::optional<SqlError> error;
};

// Parses one or more statements into libpg_query's JSON parse tree. Text that
// is not valid UTF-8 is an error at the first bad byte.
ParseResult parse_sql(const std::string& sql);

// Byte offset of character number chars (0-based) in UTF-8 text.
size_t byte_offset_of_char(std::string_view text, size_t chars);

// Offset of the first character that is not whitespace or part of a comment.
size_t skip_space_and_comments(std::string_view text, size_t from);

// The PostgreSQL version whose grammar the parser is ("15.1"), from pg_query.h.
const char* grammar_version();

}  // namespace sm::planner
