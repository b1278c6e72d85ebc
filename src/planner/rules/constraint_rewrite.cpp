// Text surgery behind the constraint rewrites (constraint_rewrite.hpp): the
// rules decide from the parse tree; the rewrites are cut from the statement's
// own text so that the user's spelling, quoting and comments survive.

#include "planner/rules/constraint_rewrite.hpp"

#include <algorithm>
#include <set>

#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {

std::string column_list_sql(const std::vector<std::string>& cols) {
    std::vector<std::string> quoted;
    quoted.reserve(cols.size());
    for (const auto& c : cols) {
        quoted.push_back(core::quote_ident(c));
    }
    return "(" + util::join(quoted, ", ") + ")";
}

std::string AlterLayout::with_piece(size_t i, const std::string& replacement) const {
    std::vector<std::string> kept;
    for (size_t k = 0; k < pieces.size(); ++k) {
        if (k != i) {
            kept.push_back(pieces[k]);
        } else if (!replacement.empty()) {
            kept.push_back(replacement);
        }
    }
    return kept.empty() ? "" : header + " " + util::join(kept, ", ") + ";";
}

AlterLayout alter_layout(const std::string& sql, size_t expected_commands) {
    AlterLayout layout;
    const auto t = tokenize(sql);
    const std::optional<size_t> commands = alter_table_commands_start(t);
    if (!commands || *commands >= t.size()) {
        return layout;
    }
    const size_t i = *commands;
    layout.header = sql.substr(0, t[i - 1].end);
    size_t start = i;
    for (size_t k = i; k <= t.size(); ++k) {
        bool boundary = k == t.size() || is_punct(t, k, ',') || is_punct(t, k, ';');
        if (!boundary) {
            continue;
        }
        if (k > start) {
            layout.pieces.push_back(sql.substr(t[start].begin, t[k - 1].end - t[start].begin));
        }
        start = k + 1;
        if (k < t.size() && t[k].punct == ';') {
            break;
        }
    }
    layout.ok = layout.pieces.size() == expected_commands;
    return layout;
}

std::string name_constraint_piece(const std::string& piece, const std::string& name) {
    const auto t = tokenize(piece);
    if (!is_word(t, 0, "ADD") || is_word(t, 1, "CONSTRAINT") || t.size() < 2) {
        return piece;
    }
    return piece.substr(0, t[1].begin) + "CONSTRAINT " + core::quote_ident(name) + " " +
           piece.substr(t[1].begin);
}

ConstraintSpan column_constraint_span(const std::string& piece, const char* keyword) {
    static const std::set<std::string> starts = {"CONSTRAINT", "NOT",    "NULL",    "DEFAULT",
                                                 "CHECK",      "UNIQUE", "PRIMARY", "REFERENCES",
                                                 "GENERATED",  "COLLATE"};
    ConstraintSpan span;
    const auto t = tokenize(piece);
    const size_t k = find_word(t, {keyword});
    if (k == t.size()) {
        return span;
    }
    span.found = true;
    span.keyword_begin = t[k].begin;
    span.begin = (k >= 2 && is_word(t, k - 2, "CONSTRAINT")) ? t[k - 2].begin : t[k].begin;
    size_t j = k + 1;
    while (j < t.size()) {
        if (t[j].depth > 0 || t[j].punct == '(' || t[j].punct == ')') {
            ++j;
            continue;
        }
        if (t[j].word == "ON" && (is_word(t, j + 1, "DELETE") || is_word(t, j + 1, "UPDATE"))) {
            j += 2;
            j += (is_word(t, j, "SET") || is_word(t, j, "NO")) ? 2 : 1;
            continue;
        }
        if (t[j].word == "NOT" &&
            (is_word(t, j + 1, "DEFERRABLE") || is_word(t, j + 1, "DISTINCT"))) {
            j += 2;
            continue;
        }
        if (starts.count(t[j].word) != 0) {
            break;
        }
        ++j;
    }
    j = std::min(j, t.size());
    span.end = t[j - 1].end;
    return span;
}

std::string without_span(const std::string& piece, const ConstraintSpan& span) {
    return trim(trim(piece.substr(0, span.begin)) + " " + trim(piece.substr(span.end)));
}

}  // namespace sm::planner
