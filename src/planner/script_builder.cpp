#include "planner/script_builder.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/checksum.hpp"
#include "planner/backfill_statement.hpp"
#include "planner/lock_model.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/sql_parser.hpp"
#include "planner/transaction_mode.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// Fills in what the executor needs to know about one parsed statement.
void classify(const ParseTree& stmt, core::Statement& out) {
    if (!stmt.is_object() || stmt.empty()) {
        return;
    }
    const std::string kind(stmt.begin().key());
    const ParseTree& node = stmt.begin().value();
    for (auto& table : predict_lock(kind, node).tables()) {
        if (std::find(out.tables.begin(), out.tables.end(), table) == out.tables.end()) {
            out.tables.push_back(std::move(table));
        }
    }
    if (std::string why = needs_no_transaction(kind, node); !why.empty()) {
        out.needs_no_transaction = std::move(why);
    }
    if (kind == "IndexStmt" && node.value("concurrent", false) && node.contains("idxname") &&
        node.contains("relation")) {
        out.concurrent_index = node["idxname"].get<std::string>();
        out.concurrent_index_schema = node["relation"].value("schemaname", "");
    }
    if (kind == "TransactionStmt") {
        out.transaction_control = true;
    }
    if (kind == "InsertStmt" && node.contains("relation")) {
        out.insert_target = qualified_name(node["relation"]);
    }
}

// Line and column of byte offsets in text, asked for in increasing order
// (statements, then errors within them), so the walk stays linear.
class Positions {
  public:
    explicit Positions(const std::string& text) : m_text(text) {}
    std::pair<int, int> at(size_t offset) {
        if (offset < m_offset) {
            m_offset = 0, m_line = 1, m_column = 1;
        }
        util::advance_position(m_text, m_offset, offset, m_line, m_column);
        m_offset = offset;
        return {m_line, m_column};
    }

  private:
    const std::string& m_text;
    size_t m_offset = 0;
    int m_line = 1;
    int m_column = 1;
};

}  // namespace

core::Script build_script(const core::MigrationFile& file,
                          std::vector<core::SourceProblem>& problems) {
    core::Script script;
    script.file = file.path;
    script.checksum = file.checksum;
    script.lock_timeout = file.directives.lock_timeout;
    script.statement_timeout = file.directives.statement_timeout;

    const std::string text = core::normalize_for_checksum(file.content);
    Positions positions(text);
    auto problem_at = [&](size_t offset, const std::string& message) {
        auto [line, column] = positions.at(offset);
        problems.push_back({file.path, line, "col " + std::to_string(column) + ": " + message});
    };

    const size_t problems_before = problems.size();
    SplitResult split = split_statements_parsed(text);
    if (split.error) {
        problem_at(split.error->offset, "syntax error: " + split.error->message);
        return script;
    }
    bool any_needs_no_transaction = false;
    ParseDocument document;
    for (const auto& piece : split.statements) {
        core::Statement statement;
        statement.sql = text.substr(piece.offset, piece.length);
        std::tie(statement.line, statement.column) = positions.at(piece.offset);
        ParseResult parsed = parse_sql(statement.sql);
        if (parsed.error) {
            problem_at(piece.offset + parsed.error->offset,
                       "syntax error: " + parsed.error->message);
            continue;
        }
        const ParseTree* tree = nullptr;
        try {
            tree = &document.parse(parsed.tree_json);
        } catch (const std::runtime_error& e) {
            problem_at(piece.offset, std::string("statement cannot be checked: ") + e.what());
            continue;
        }
        for (const auto& raw : member_list(*tree, "stmts")) {
            classify(member(raw, "stmt"), statement);
        }
        any_needs_no_transaction =
            any_needs_no_transaction || !statement.needs_no_transaction.empty();
        script.statements.push_back(std::move(statement));
    }
    if (script.statements.empty() && problems.size() == problems_before) {
        problems.push_back({file.path, 0, "file contains no SQL statements"});
    }
    script.transactional = !file.directives.no_transaction && !any_needs_no_transaction;
    if (file.directives.phase == core::Phase::backfill && problems.size() == problems_before) {
        // Each batch runs in its own transaction (executor/backfill.hpp).
        script.transactional = false;
        BackfillParse backfill = parse_backfill_statement(
            script.statements.size() == 1 ? script.statements[0].sql : text);
        if (!backfill.statement) {
            problems.push_back({file.path,
                                script.statements.empty() ? 0 : script.statements[0].line,
                                "phase=backfill: " + backfill.problem});
        }
        script.backfill = backfill.statement;
        return script;
    }
    if (script.transactional) {
        for (const auto& s : script.statements) {
            if (s.transaction_control) {
                problems.push_back(
                    {file.path, s.line,
                     "transaction control statement in a migration that runs in a "
                     "transaction (the runner owns the transaction; remove it, or mark "
                     "the file -- safe-migrate: no-transaction)"});
            }
        }
    }
    return script;
}

}  // namespace sm::planner
