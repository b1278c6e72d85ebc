#include "planner/statement_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "planner/sql_parser.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// The largest file parsed at once. Its tree takes about 80 times the text's
// size, so this keeps a thread's memory near 10 MB while covering migration
// files, which are a few kilobytes; larger files go statement by statement.
constexpr size_t k_whole_file_max = size_t{128} * 1024;

}  // namespace

StatementStream::StatementStream(const std::filesystem::path& path, size_t chunk_size)
    : m_chunk(chunk_size) {
    m_file = std::fopen(path.c_str(), "rb");
    if (m_file == nullptr) {
        throw Error(ExitCode::invalid_input,
                    "cannot read " + path.string() + ": " + std::strerror(errno));
    }
}

StatementStream::StatementStream(const std::filesystem::path& /*path*/, std::string text)
    : m_chunk(0), m_eof(true), m_first_read(false), m_buffer(std::move(text)) {
    if (m_buffer.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        m_buffer.erase(0, 3);
        m_had_bom = true;
    }
    std::string::size_type pos = 0;
    while ((pos = m_buffer.find("\r\n", pos)) != std::string::npos) {
        m_buffer.erase(pos, 1);
    }
}

StatementStream::~StatementStream() {
    if (m_file != nullptr) {
        std::fclose(m_file);
    }
}

bool StatementStream::fill() {
    if (m_eof) {
        return false;
    }
    size_t old = m_buffer.size();
    // Read through a buffer kept per thread: growing m_buffer by a whole chunk
    // first would zero a megabyte for every small migration file.
    thread_local std::vector<char> chunk;
    if (chunk.size() < m_chunk) {
        chunk.resize(m_chunk);
    }
    size_t n = std::fread(chunk.data(), 1, m_chunk, m_file);
    m_buffer.append(chunk.data(), n);
    if (m_first_read) {
        m_first_read = false;
        if (m_buffer.compare(0, 3, "\xEF\xBB\xBF") == 0) {
            m_buffer.erase(0, 3);
            m_had_bom = true;
        }
    }
    // CRLF -> LF, as for checksums; a CR at the very end waits for the next chunk.
    std::string::size_type pos = old == 0 ? 0 : old - 1;
    while ((pos = m_buffer.find("\r\n", pos)) != std::string::npos) {
        m_buffer.erase(pos, 1);
    }
    if (n < m_chunk) {
        m_eof = true;
    }
    return n > 0 || !m_eof;
}

void StatementStream::advance_to(size_t offset) {
    util::advance_position(m_buffer, m_cursor, offset, m_line, m_column);
    m_cursor = std::max(m_cursor, offset);
}

bool StatementStream::parse_whole_buffer() {
    ParseResult parsed = parse_sql(m_buffer);
    if (parsed.error) {
        return false;  // the split below finds and reports the statement at fault
    }
    m_parsed_text = m_buffer;
    const ParseTree* parsed_tree = nullptr;
    try {
        parsed_tree = &m_document.parse(parsed.tree_json);
    } catch (const std::runtime_error&) {
        return false;  // statement by statement: the one at fault is reported
    }
    const ParseTree& tree = *parsed_tree;
    const std::string& text = m_parsed_text;
    // Each statement's [first, end): its span starts after the previous
    // semicolon and runs to the next one (stmt_len 0: to the end of the text),
    // trimmed as the split trims its pieces (trim_statement).
    struct Span {
        size_t first, end;
        const ParseTree* stmt;
    };
    std::vector<Span> spans;
    for (const auto& raw : tree["stmts"]) {
        auto begin = static_cast<size_t>(raw.value("stmt_location", 0LL));
        long long len = raw.value("stmt_len", 0LL);
        size_t end = len == 0 ? text.size() : begin + static_cast<size_t>(len);
        if (begin > text.size() || end > text.size()) {
            return false;
        }
        SplitStatement piece = trim_statement(text, begin, end);
        if (piece.length == 0 || (!spans.empty() && piece.offset < spans.back().end)) {
            return false;  // not what the split would give: let it decide
        }
        spans.push_back({piece.offset, piece.offset + piece.length, &raw["stmt"]});
    }
    if (spans.empty()) {
        return false;
    }
    size_t previous_end = 0;
    for (const auto& [first, end, stmt] : spans) {
        StreamedStatement s;
        advance_to(previous_end);
        s.leading_line = m_line;
        s.leading = text.substr(previous_end, first - previous_end);
        advance_to(first);
        s.line = m_line;
        s.column = m_column;
        s.sql = text.substr(first, end - first);
        s.tree = stmt;
        s.tree_text = &m_parsed_text;
        previous_end = end;
        m_pending.push_back(std::move(s));
    }
    advance_to(previous_end);
    m_buffer.erase(0, previous_end);
    m_cursor = 0;
    return true;
}

std::optional<StreamedStatement> StatementStream::next() {
    size_t want = 0;  // grow the window when a single statement spans it
    while (m_pending.empty()) {
        if (m_buffer.size() <= want || m_buffer.empty()) {
            if (!fill() && m_buffer.empty()) {
                return std::nullopt;
            }
        }
        if (m_eof && !m_tried_whole && m_buffer.size() <= k_whole_file_max) {
            m_tried_whole = true;
            if (parse_whole_buffer()) {
                break;
            }
        }
        SplitResult split = split_statements(m_buffer);
        if (split.error && !m_eof) {
            want = m_buffer.size();
            fill();
            continue;
        }
        // Without the end of the file in the buffer, the last piece may be cut short.
        size_t complete = split.statements.size();
        if (!m_eof && complete > 0) {
            --complete;
        }
        if (complete == 0 && !m_eof && !split.error) {
            want = m_buffer.size();
            fill();
            continue;
        }
        size_t consumed = 0;
        size_t previous_end = 0;
        for (size_t i = 0; i < complete; ++i) {
            const auto& piece = split.statements[i];
            StreamedStatement s;
            advance_to(previous_end);
            s.leading_line = m_line;
            s.leading = m_buffer.substr(previous_end, piece.offset - previous_end);
            advance_to(piece.offset);
            s.line = m_line;
            s.column = m_column;
            s.sql = m_buffer.substr(piece.offset, piece.length);
            previous_end = piece.offset + piece.length;
            consumed = previous_end;
            m_pending.push_back(std::move(s));
        }
        if (split.error) {
            // Only at end of file: the rest does not scan (an unterminated quote).
            size_t start = previous_end;
            StreamedStatement s;
            advance_to(start);
            s.leading_line = m_line;
            size_t first = skip_space_and_comments(m_buffer, start);
            s.leading = m_buffer.substr(start, first - start);
            advance_to(first);
            s.line = m_line;
            s.column = m_column;
            s.sql = m_buffer.substr(first);
            s.scan_error = split.error->message;
            s.scan_error_offset = split.error->offset > first ? split.error->offset - first : 0;
            consumed = m_buffer.size();
            m_pending.push_back(std::move(s));
        }
        advance_to(consumed);
        m_buffer.erase(0, consumed);
        m_cursor = 0;
        if (m_pending.empty() && m_eof) {
            m_trailing = m_buffer;
            m_trailing_line = m_line;
            m_buffer.clear();
            return std::nullopt;
        }
    }
    StreamedStatement s = std::move(m_pending.front());
    m_pending.pop_front();
    return s;
}

}  // namespace sm::planner
