#pragma once
// Statements of a SQL file, read in chunks so that memory stays flat however
// large the file is. Splitting uses the PostgreSQL scanner (sql_parser.hpp);
// only a statement's text and the comments before it are held at a time.
// A small file (up to 128 KiB) that parses as a whole, the usual migration,
// is parsed once, and its statements come with their trees.

#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>

#include "planner/parse_tree.hpp"

namespace sm::planner {

struct StreamedStatement {
    std::string sql;       // the statement, without its terminating semicolon
    std::string leading;   // whitespace and comments between the previous statement and this one
    int leading_line = 1;  // line where leading starts
    int line = 0;          // where the statement starts (1-based)
    int column = 0;
    // Set when the scanner failed on this stretch of text (e.g. an unterminated
    // string at the end of the file): the message and its byte offset in sql.
    std::optional<std::string> scan_error;
    size_t scan_error_offset = 0;
    // Set when the whole file was parsed at once: this statement's tree
    // ({"AlterTableStmt": ...}) and the text its locations index (the file).
    // Both belong to the stream and live as long as it does.
    const ParseTree* tree = nullptr;
    const std::string* tree_text = nullptr;
};

class StatementStream {
  public:
    // Opens path. Throws sm::Error (invalid_input) when it cannot be read.
    explicit StatementStream(const std::filesystem::path& path, size_t chunk_size = 1 << 20);
    // Reads text instead of a file (a part of a file, core/layout.hpp); path is
    // only its name. A BOM is dropped and CRLF turned into LF, as from a file.
    StatementStream(const std::filesystem::path& path, std::string text);
    ~StatementStream();
    StatementStream(const StatementStream&) = delete;
    StatementStream& operator=(const StatementStream&) = delete;

    // The next statement, or std::nullopt at the end of the file.
    std::optional<StreamedStatement> next();

    // Comments after the last statement (for a file with no statements, the
    // whole file). Valid once next() has returned std::nullopt.
    const std::string& trailing() const { return m_trailing; }
    int trailing_line() const { return m_trailing_line; }
    // True when the file started with a UTF-8 byte order mark (dropped).
    bool had_bom() const { return m_had_bom; }

  private:
    bool fill();                     // appends a chunk; false at end of file
    bool parse_whole_buffer();       // queues the buffer's statements with trees
    void advance_to(size_t offset);  // moves the line/column cursor within m_buffer

    std::FILE* m_file = nullptr;
    size_t m_chunk;
    bool m_eof = false;
    bool m_had_bom = false;
    bool m_first_read = true;
    std::string m_buffer;
    size_t m_cursor = 0;  // position in m_buffer the line/column below refer to
    int m_line = 1;
    int m_column = 1;
    std::string m_trailing;
    int m_trailing_line = 1;
    std::deque<StreamedStatement> m_pending;  // split, not yet handed out
    bool m_tried_whole = false;
    std::string m_parsed_text;  // the file parsed at once, which trees index
    ParseDocument m_document;
};

}  // namespace sm::planner
