#include "core/sql_quote.hpp"

#include <algorithm>
#include <set>

namespace sm::core {
namespace {

// PostgreSQL's reserved and type/function-name keywords: not usable as bare names.
bool reserved_keyword(const std::string& name) {
    // clang-format off
    static const std::set<std::string> k_reserved = {
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
        "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
        "column", "concurrently", "constraint", "create", "cross", "current_catalog",
        "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
        "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
        "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having",
        "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
        "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural",
        "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
        "placing", "primary", "references", "returning", "right", "select", "session_user",
        "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
        "where", "window", "with"};
    // clang-format on
    return k_reserved.count(name) != 0;
}

// A lower-case name that needs no quotes, keywords aside.
bool plain_name(const std::string& name) {
    auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    if (name.empty() || !(lower(name[0]) || name[0] == '_')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [&](char c) {
        return lower(c) || (c >= '0' && c <= '9') || c == '_' || c == '$';
    });
}

}  // namespace

std::string quote_ident(const std::string& name, Keywords keywords) {
    if (plain_name(name) && (keywords == Keywords::bare || !reserved_keyword(name))) {
        return name;
    }
    std::string out = "\"";
    for (char c : name) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + '"';
}

std::string quote_literal(const std::string& value) {
    std::string out = "'";
    bool backslash = false;
    for (char c : value) {
        if (c == '\'') {
            out += "''";
        } else if (c == '\\') {
            out += "\\\\";
            backslash = true;
        } else {
            out += c;
        }
    }
    out += "'";
    return backslash ? "E" + out : out;
}

}  // namespace sm::core
