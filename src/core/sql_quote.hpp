#pragma once
// SQL quoting, the one place it is done on our side: identifiers for
// statements we build or suggest, literals for values we send.

#include <string>

namespace sm::core {

// Whether quote_ident double-quotes PostgreSQL's reserved keywords ("order", "user").
// Keywords::quoted gives valid SQL for any name; Keywords::bare leaves keywords
// unquoted, as the lint rules' rewrites of column names always have.
enum class Keywords { quoted, bare };

// name as an identifier in SQL: bare when it is a plain lower-case name (a-z, _
// first; then a-z, 0-9, _, $) and, with Keywords::quoted, not a reserved keyword;
// otherwise in double quotes with embedded double quotes doubled.
std::string quote_ident(const std::string& name, Keywords keywords = Keywords::quoted);

// value as a SQL string literal: in single quotes with embedded quotes doubled;
// when it holds a backslash, as E'...' with the backslashes doubled, so it
// reads the same whatever standard_conforming_strings is.
std::string quote_literal(const std::string& value);

}  // namespace sm::core
