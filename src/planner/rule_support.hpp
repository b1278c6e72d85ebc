#pragma once
// Helpers shared by the rule families (planner/rules/*.cpp): a small SQL token
// scanner for rewriting statement text, identifier and literal quoting, the
// names PostgreSQL generates for unnamed objects, integer constants that
// libpg_query's JSON leaves out, and the pieces of a finding every family uses.
// Reading the parse tree itself is parse_helpers.hpp's business.

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/sql_quote.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"

namespace sm::planner {

// ---------------------------------------------------------------------------
// Tokens

// One token of SQL text.
struct Token {
    size_t begin = 0;  // byte offsets in the text: [begin, end)
    size_t end = 0;
    int depth = 0;     // parenthesis depth; a group's own "(" and ")" sit at the outer depth
    std::string word;  // upper-cased unquoted word, empty for anything else
    char punct = 0;    // the character of a one-character punctuation token
};

// Splits sql into tokens, skipping whitespace and -- and (nested) /* */ comments.
// A quoted identifier, a string ('...', E'...', $tag$...$tag$) or a number is one
// token with neither word nor punct; an unterminated one runs to the end of sql.
std::vector<Token> tokenize(const std::string& sql);

// True when token i exists and is the unquoted word (given in upper case), at any depth.
bool is_word(const std::vector<Token>& tokens, size_t i, const char* word);

// True when token i exists and is the punctuation character p outside parentheses.
bool is_punct(const std::vector<Token>& tokens, size_t i, char p);

// The first token at or after from, outside parentheses, that is one of words
// (upper case); tokens.size() when there is none.
size_t find_word(const std::vector<Token>& tokens, std::initializer_list<const char*> words,
                 size_t from = 0);

// For tokens of "ALTER TABLE [IF EXISTS] [ONLY] name [*] subcommands": the index of
// the first token after the table name, which is tokens.size() when nothing follows;
// std::nullopt when the tokens do not start that way.
std::optional<size_t> alter_table_commands_start(const std::vector<Token>& tokens);

// ---------------------------------------------------------------------------
// Statement text

// s without leading and trailing spaces, tabs, carriage returns and newlines.
std::string trim(const std::string& s);

// A statement's text without surrounding whitespace and trailing semicolons,
// ready to have a ";" appended in a rewrite.
std::string statement_text(const std::string& sql);

// The directive line that starts a rewrite which must run outside a transaction.
inline constexpr const char* k_no_tx_directive = "-- safe-migrate: no-transaction\n";

// ---------------------------------------------------------------------------
// Quoting

// A RangeVar as the statement wrote it, quoted where needed: "orders" or
// app."Orders" (the schema only when the statement gave one).
std::string relation_sql(const ParseTree& range_var,
                         core::Keywords keywords = core::Keywords::quoted);

// schema.name quoted where needed, the schema "public" when empty.
std::string qualified_sql(const std::string& schema, const std::string& name,
                          core::Keywords keywords = core::Keywords::quoted);

// A RangeVar schema-qualified and quoted where needed: public.orders, app."Orders".
std::string qualified_relation_sql(const ParseTree& range_var,
                                   core::Keywords keywords = core::Keywords::quoted);

// A list of String nodes (a qualified name) as SQL: each part quoted where needed,
// joined with '.'; "" when list is not an array.
std::string names_sql(const ParseTree& list, core::Keywords keywords = core::Keywords::quoted);

// ---------------------------------------------------------------------------
// Generated names

// PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1); longer names are truncated.
inline constexpr size_t k_max_identifier_bytes = 63;

// name cut to its first k_max_identifier_bytes bytes, as PostgreSQL truncates an
// identifier (which also keeps a multibyte character whole; this does not).
std::string truncate_identifier(const std::string& name);

// PostgreSQL's makeObjectName, the name of an unnamed index or constraint:
// name1_name2_label (name1_label when name2 is empty), shortening the longer of
// the two names one byte at a time until the whole fits in k_max_identifier_bytes.
std::string make_object_name(std::string name1, std::string name2, const std::string& label);

// The major version people write for a server_version_num: "15" from 150004,
// "9.6" from 90624.
std::string pg_version_text(int server_version_num);

// ---------------------------------------------------------------------------
// Integer constants

// The integer literal, optionally negative ("-" then optional whitespace), written
// at byte offset location of sql, without the whitespace; std::nullopt when none
// starts there or it runs into a letter or '.' (a float, an identifier).
std::optional<std::string> int_literal_at(const std::string& sql, long long location);

// The value of an integer A_Const (the object under "A_Const", with an "ival").
// libpg_query 15's JSON prints 0 and every negative value as "ival": {}, so those
// are read back from sql (the text the tree was parsed from) at the constant's
// location. std::nullopt when a_const is not an integer or the text cannot be read.
std::optional<long long> a_const_int(const ParseTree& a_const, const std::string& sql);

// ---------------------------------------------------------------------------
// Findings

// Extras for a finding about one table: it lists the table and is dropped when the
// table was created earlier in the plan.
EmitExtras about_table(const std::string& table, std::string rewrite = "");

}  // namespace sm::planner
