// Type names and expressions of column definitions back to SQL, and the
// volatility of a DEFAULT (column_expr.hpp). The function lists are what
// adding-field-with-volatile-default decides by: PostgreSQL 11 and later store
// a non-volatile DEFAULT in the catalog instead of rewriting the table.

#include "planner/rules/column_expr.hpp"

#include <set>
#include <utility>

#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// An integer A_Const (an omitted ival is 0).
std::optional<long long> const_int(const ParseTree& node) {
    if (!node.is_object() || !node.contains("A_Const")) {
        return std::nullopt;
    }
    const ParseTree& c = node["A_Const"];
    if (!c.contains("ival")) {
        return std::nullopt;
    }
    return c["ival"].value("ival", 0LL);
}

}  // namespace

std::string last_name(const ParseTree& names) {
    if (!names.is_array() || names.empty()) {
        return "";
    }
    return util::to_lower(string_value(names.back()));
}

std::vector<long long> typmods(const ParseTree& type_name) {
    std::vector<long long> out;
    for (const auto& m : member_list(type_name, "typmods")) {
        if (auto v = const_int(m)) {
            out.push_back(*v);
        }
    }
    return out;
}

std::string type_sql(const ParseTree& type_name) {
    const ParseTree& names = member_list(type_name, "names");
    std::string base;
    if (names.size() == 2 && util::to_lower(string_value(names[0])) == "pg_catalog") {
        std::string n = util::to_lower(string_value(names[1]));
        static const std::vector<std::pair<std::string, std::string>> builtin = {
            {"int2", "smallint"},
            {"int4", "integer"},
            {"int8", "bigint"},
            {"float4", "real"},
            {"float8", "double precision"},
            {"bool", "boolean"},
            {"bpchar", "char"},
            {"varbit", "bit varying"},
        };
        base = n;
        for (const auto& [from, to] : builtin) {
            if (n == from) {
                base = to;
            }
        }
    } else {
        base = names_sql(names, core::Keywords::quoted);
    }
    std::vector<long long> mods = typmods(type_name);
    if (!mods.empty() && base != "interval") {
        base += "(";
        for (size_t i = 0; i < mods.size(); ++i) {
            base += (i ? "," : "") + std::to_string(mods[i]);
        }
        base += ")";
    }
    for (size_t i = 0; i < member_list(type_name, "arrayBounds").size(); ++i) {
        base += "[]";
    }
    return base;
}

namespace {

// An operand of an operator or a cast: parenthesized when it is itself an
// operator expression, so the text keeps the tree's grouping.
std::optional<std::string> operand_sql(const ParseTree& node, const std::string& sql) {
    auto text = expr_sql(node, sql);
    if (text && node.is_object() && (node.contains("A_Expr") || node.contains("BoolExpr"))) {
        return "(" + *text + ")";
    }
    return text;
}

std::optional<std::string> const_sql(const ParseTree& c, const std::string& sql) {
    if (c.value("isnull", false)) {
        return "NULL";
    }
    if (c.contains("ival")) {
        if (c["ival"].contains("ival")) {
            return std::to_string(c["ival"].value("ival", 0LL));
        }
        // libpg_query 15's JSON leaves ival empty for 0 and for every
        // negative number alike: read the literal from the statement.
        return int_literal_at(sql, c.value("location", -1));
    }
    if (c.contains("fval")) {
        return c["fval"].value("fval", "0");
    }
    if (c.contains("boolval")) {
        return c["boolval"].value("boolval", false) ? "true" : "false";
    }
    if (c.contains("sval")) {
        return core::quote_literal(c["sval"].value("sval", ""));
    }
    if (c.contains("bsval")) {
        std::string b = c["bsval"].value("bsval", "");
        return b.empty()
                   ? std::nullopt
                   : std::optional<std::string>(b.substr(0, 1) + core::quote_literal(b.substr(1)));
    }
    return std::nullopt;
}

std::optional<std::string> type_cast_sql(const ParseTree& t, const std::string& sql) {
    auto arg = operand_sql(t["arg"], sql);
    if (!arg) {
        return std::nullopt;
    }
    return *arg + "::" + type_sql(member(t, "typeName"));
}

std::optional<std::string> func_call_sql(const ParseTree& fc, const std::string& sql) {
    if (fc.contains("agg_order") || fc.contains("agg_filter") || fc.contains("over") ||
        fc.value("func_variadic", false) || fc.value("agg_distinct", false)) {
        return std::nullopt;
    }
    const std::string name = names_sql(member_list(fc, "funcname"), core::Keywords::quoted);
    std::string args;
    if (fc.value("agg_star", false)) {
        args = "*";
    }
    for (const auto& a : member_list(fc, "args")) {
        auto text = expr_sql(a, sql);
        if (!text) {
            return std::nullopt;
        }
        args += (args.empty() ? "" : ", ") + *text;
    }
    return name + "(" + args + ")";
}

std::optional<std::string> sql_value_function_sql(const ParseTree& v) {
    static const std::vector<std::pair<std::string, std::string>> ops = {
        {"SVFOP_CURRENT_DATE", "CURRENT_DATE"},
        {"SVFOP_CURRENT_TIME_N", "CURRENT_TIME"},
        {"SVFOP_CURRENT_TIME", "CURRENT_TIME"},
        {"SVFOP_CURRENT_TIMESTAMP_N", "CURRENT_TIMESTAMP"},
        {"SVFOP_CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"},
        {"SVFOP_LOCALTIME_N", "LOCALTIME"},
        {"SVFOP_LOCALTIME", "LOCALTIME"},
        {"SVFOP_LOCALTIMESTAMP_N", "LOCALTIMESTAMP"},
        {"SVFOP_LOCALTIMESTAMP", "LOCALTIMESTAMP"},
        {"SVFOP_CURRENT_ROLE", "CURRENT_ROLE"},
        {"SVFOP_CURRENT_USER", "CURRENT_USER"},
        {"SVFOP_USER", "USER"},
        {"SVFOP_SESSION_USER", "SESSION_USER"},
        {"SVFOP_CURRENT_CATALOG", "CURRENT_CATALOG"},
        {"SVFOP_CURRENT_SCHEMA", "CURRENT_SCHEMA"},
    };
    std::string op = v.value("op", "");
    for (const auto& [key, text] : ops) {
        if (op == key) {
            long long mod = v.value("typmod", -1LL);
            return mod >= 0 ? text + "(" + std::to_string(mod) + ")" : text;
        }
    }
    return std::nullopt;
}

std::optional<std::string> column_ref_sql(const ParseTree& ref) {
    std::string out;
    for (const auto& f : member_list(ref, "fields")) {
        if (!f.contains("String")) {
            return std::nullopt;
        }
        out +=
            (out.empty() ? "" : ".") + core::quote_ident(string_value(f), core::Keywords::quoted);
    }
    return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

// A plain operator, prefix ("-x") or infix ("a + b").
std::optional<std::string> operator_sql(const ParseTree& e, const std::string& sql) {
    const ParseTree& name = member_list(e, "name");
    if (e.value("kind", "") != "AEXPR_OP" || name.size() != 1) {
        return std::nullopt;
    }
    std::string op = string_value(name[0]);
    auto right = operand_sql(e["rexpr"], sql);
    if (!right) {
        return std::nullopt;
    }
    if (!e.contains("lexpr")) {
        return op + *right;
    }
    auto left = operand_sql(e["lexpr"], sql);
    if (!left) {
        return std::nullopt;
    }
    return *left + " " + op + " " + *right;
}

// Functions whose value does not change within a statement (immutable or
// stable): a DEFAULT made only of these and constants is evaluated once and
// stored in the catalog from PostgreSQL 11.
const std::set<std::string>& stable_functions() {
    static const std::set<std::string> names = {
        "now",
        "statement_timestamp",
        "transaction_timestamp",
        "current_timestamp",
        "localtimestamp",
        "current_date",
        "current_time",
        "localtime",
        "current_setting",
        "current_database",
        "current_schema",
        "current_user",
        "session_user",
        "timezone",
        "date_trunc",
        "date_part",
        "to_timestamp",
        "to_date",
        "to_char",
        "to_number",
        "make_date",
        "make_time",
        "make_timestamp",
        "make_timestamptz",
        "make_interval",
        "lower",
        "upper",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "concat",
        "concat_ws",
        "length",
        "substring",
        "substr",
        "replace",
        "left",
        "right",
        "lpad",
        "rpad",
        "abs",
        "round",
        "trunc",
        "floor",
        "ceil",
        "ceiling",
        "power",
        "sqrt",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "to_json",
        "to_jsonb",
        "array_fill",
        "int4range",
        "int8range",
        "numrange",
        "tsrange",
        "tstzrange",
        "daterange",
        "md5",
        "inet",
        "cidr",
        "point",
        "format",
    };
    return names;
}

// Functions known to be VOLATILE.
const std::set<std::string>& volatile_functions() {
    static const std::set<std::string> names = {
        "random",           "random_normal",      "gen_random_uuid",    "gen_random_bytes",
        "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",   "uuidv4",
        "uuidv7",           "clock_timestamp",    "timeofday",          "nextval",
        "setval",           "txid_current",       "pg_current_xact_id",
    };
    return names;
}

}  // namespace

void called_functions(const ParseTree& node, std::vector<std::string>& out) {
    if (node.is_object()) {
        if (node.contains("FuncCall")) {
            out.push_back(last_name(member_list(node["FuncCall"], "funcname")));
        }
        for (const auto& item : node.items()) {
            called_functions(item.value(), out);
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            called_functions(item, out);
        }
    }
}

std::optional<std::string> expr_sql(const ParseTree& node, const std::string& sql) {
    if (!node.is_object() || node.empty()) {
        return std::nullopt;
    }
    if (node.contains("A_Const")) {
        return const_sql(node["A_Const"], sql);
    }
    if (node.contains("TypeCast")) {
        return type_cast_sql(node["TypeCast"], sql);
    }
    if (node.contains("FuncCall")) {
        return func_call_sql(node["FuncCall"], sql);
    }
    if (node.contains("SQLValueFunction")) {
        return sql_value_function_sql(node["SQLValueFunction"]);
    }
    if (node.contains("ColumnRef")) {
        return column_ref_sql(node["ColumnRef"]);
    }
    if (node.contains("A_Expr")) {
        return operator_sql(node["A_Expr"], sql);
    }
    return std::nullopt;
}

Volatility volatility(const ParseTree& expr) {
    std::vector<std::string> fns;
    called_functions(expr, fns);
    Volatility unknown;
    for (const auto& fn : fns) {
        if (volatile_functions().count(fn) != 0) {
            return {true, fn, true};
        }
        if (stable_functions().count(fn) == 0 && !unknown.is_volatile) {
            unknown = {true, fn, false};
        }
    }
    return unknown;
}

bool is_null_const(const ParseTree& node) {
    return node.is_object() && node.contains("A_Const") && node["A_Const"].value("isnull", false);
}

}  // namespace sm::planner
