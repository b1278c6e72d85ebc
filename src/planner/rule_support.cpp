#include "planner/rule_support.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <utility>

#include "planner/sql_parser.hpp"

namespace sm::planner {
namespace {

size_t skip_quoted(const std::string& sql, size_t i, char quote, bool backslash_escapes) {
    ++i;
    while (i < sql.size()) {
        if (backslash_escapes && sql[i] == '\\') {
            i += 2;
            continue;
        }
        if (sql[i] == quote) {
            if (i + 1 < sql.size() && sql[i + 1] == quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        ++i;
    }
    return sql.size();
}

bool ident_start(unsigned char c) {
    return std::isalpha(c) != 0 || c == '_' || c >= 0x80;
}
bool ident_char(unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '$' || c >= 0x80;
}

}  // namespace

// ---------------------------------------------------------------------------
// Tokens

std::vector<Token> tokenize(const std::string& sql) {
    std::vector<Token> out;
    const size_t n = sql.size();
    size_t i = 0;
    int depth = 0;
    while ((i = skip_space_and_comments(sql, i)) < n) {
        const auto c = static_cast<unsigned char>(sql[i]);
        Token t;
        t.begin = i;
        t.depth = depth;
        if (c == '\'') {
            i = skip_quoted(sql, i, '\'', false);
        } else if (c == '"') {
            i = skip_quoted(sql, i, '"', false);
        } else if (c == '$' && i + 1 < n && (sql[i + 1] == '$' || ident_start(sql[i + 1]))) {
            size_t j = i + 1;
            while (j < n && ident_char(sql[j]) && sql[j] != '$') {
                ++j;
            }
            if (j < n && sql[j] == '$') {
                const std::string tag = sql.substr(i, j - i + 1);
                size_t close = sql.find(tag, j + 1);
                i = close == std::string::npos ? n : close + tag.size();
            } else {
                i = j;
            }
        } else if (ident_start(c)) {
            size_t j = i;
            while (j < n && ident_char(sql[j])) {
                ++j;
            }
            if (j - i == 1 && (c == 'E' || c == 'e') && j < n && sql[j] == '\'') {
                i = skip_quoted(sql, j, '\'', true);
            } else {
                t.word = sql.substr(i, j - i);
                for (auto& ch : t.word) {
                    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                }
                i = j;
            }
        } else if (std::isdigit(c) != 0) {
            while (i < n &&
                   (std::isalnum(static_cast<unsigned char>(sql[i])) != 0 || sql[i] == '.')) {
                ++i;
            }
        } else {
            t.punct = static_cast<char>(c);
            if (c == '(') {
                ++depth;
            } else if (c == ')') {
                depth = std::max(0, depth - 1);
                t.depth = depth;
            }
            ++i;
        }
        t.end = i;
        out.push_back(t);
    }
    return out;
}

bool is_word(const std::vector<Token>& tokens, size_t i, const char* word) {
    return i < tokens.size() && tokens[i].word == word;
}

bool is_punct(const std::vector<Token>& tokens, size_t i, char p) {
    return i < tokens.size() && tokens[i].punct == p && tokens[i].depth == 0;
}

size_t find_word(const std::vector<Token>& tokens, std::initializer_list<const char*> words,
                 size_t from) {
    for (size_t k = from; k < tokens.size(); ++k) {
        if (tokens[k].depth != 0) {
            continue;
        }
        for (const char* w : words) {
            if (tokens[k].word == w) {
                return k;
            }
        }
    }
    return tokens.size();
}

std::optional<size_t> alter_table_commands_start(const std::vector<Token>& t) {
    if (!is_word(t, 0, "ALTER") || !is_word(t, 1, "TABLE")) {
        return std::nullopt;
    }
    size_t i = 2;
    if (is_word(t, i, "IF") && is_word(t, i + 1, "EXISTS")) {
        i += 2;
    }
    if (is_word(t, i, "ONLY")) {
        ++i;
    }
    if (i >= t.size() || t[i].punct != 0) {
        return std::nullopt;
    }
    ++i;
    while (is_punct(t, i, '.') && i + 1 < t.size() && t[i + 1].punct == 0) {
        i += 2;
    }
    if (is_punct(t, i, '*')) {
        ++i;
    }
    return i;
}

// ---------------------------------------------------------------------------
// Statement text

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) {
        return "";
    }
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::string statement_text(const std::string& sql) {
    std::string out = trim(sql);
    while (!out.empty() && out.back() == ';') {
        out = trim(out.substr(0, out.size() - 1));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Quoting

std::string relation_sql(const ParseTree& range_var, core::Keywords keywords) {
    std::string schema = range_var.value("schemaname", "");
    std::string rel = core::quote_ident(range_var.value("relname", ""), keywords);
    return schema.empty() ? rel : core::quote_ident(schema, keywords) + "." + rel;
}

std::string qualified_sql(const std::string& schema, const std::string& name,
                          core::Keywords keywords) {
    return core::quote_ident(schema.empty() ? "public" : schema, keywords) + "." +
           core::quote_ident(name, keywords);
}

std::string qualified_relation_sql(const ParseTree& range_var, core::Keywords keywords) {
    return qualified_sql(range_var.value("schemaname", ""), range_var.value("relname", ""),
                         keywords);
}

std::string names_sql(const ParseTree& list, core::Keywords keywords) {
    std::string out;
    if (list.is_array()) {
        for (const auto& item : list) {
            out += (out.empty() ? "" : ".") + core::quote_ident(string_value(item), keywords);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------
// Generated names

std::string truncate_identifier(const std::string& name) {
    return name.size() > k_max_identifier_bytes ? name.substr(0, k_max_identifier_bytes) : name;
}

std::string make_object_name(std::string name1, std::string name2, const std::string& label) {
    size_t overhead = label.size() + 1 + (name2.empty() ? 0 : 1);
    while (name1.size() + name2.size() + overhead > k_max_identifier_bytes) {
        if (name1.size() > name2.size()) {
            name1.pop_back();
        } else {
            name2.pop_back();
        }
    }
    return name1 + (name2.empty() ? "" : "_" + name2) + "_" + label;
}

std::string pg_version_text(int v) {
    return v >= 100000 ? std::to_string(v / 10000)
                       : std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100);
}

// ---------------------------------------------------------------------------
// Integer constants

std::optional<std::string> int_literal_at(const std::string& sql, long long location) {
    if (location < 0 || static_cast<size_t>(location) >= sql.size()) {
        return std::nullopt;
    }
    size_t i = static_cast<size_t>(location);
    std::string out;
    if (sql[i] == '-') {
        out += '-';
        ++i;
        while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) {
            ++i;
        }
    }
    size_t start = i;
    while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) {
        ++i;
    }
    if (i == start ||
        (i < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '.'))) {
        return std::nullopt;
    }
    return out + sql.substr(start, i - start);
}

std::optional<long long> a_const_int(const ParseTree& a_const, const std::string& sql) {
    if (!a_const.is_object() || !a_const.contains("ival")) {
        return std::nullopt;
    }
    const ParseTree& ival = a_const["ival"];
    if (ival.contains("ival")) {
        return ival.value("ival", 0LL);
    }
    auto text = int_literal_at(sql, a_const.value("location", -1LL));
    if (!text) {
        return std::nullopt;
    }
    const std::string& digits = *text;
    long long value = 0;
    if (std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc()) {
        return std::nullopt;
    }
    return value;
}

// ---------------------------------------------------------------------------
// Findings

EmitExtras about_table(const std::string& table, std::string rewrite) {
    return EmitExtras{std::move(rewrite), {table}, table};
}

}  // namespace sm::planner
