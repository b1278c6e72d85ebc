#include "planner/lint_state.hpp"

#include <algorithm>

#include "core/duration.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_support.hpp"

namespace sm::planner {

std::optional<long long> setting_ms(const ParseTree& body, const std::string& sql) {
    const ParseTree& args = member_list(body, "args");
    if (!args.is_array() || args.empty() || !args[0].contains("A_Const")) {
        return std::nullopt;
    }
    const ParseTree& c = args[0]["A_Const"];
    if (c.contains("sval")) {
        auto d = core::parse_pg_duration(c["sval"].value("sval", ""));
        return d ? std::optional<long long>(d->count()) : std::nullopt;
    }
    if (c.contains("ival")) {
        // An ival libpg_query left empty (0 or negative) whose text cannot be read is taken as 0.
        const long long value = a_const_int(c, sql).value_or(0);
        return value >= 0 ? std::optional<long long>(value) : std::nullopt;
    }
    return std::nullopt;
}

namespace {

// The column of a CHECK expression that is exactly "col IS NOT NULL", or "".
std::string not_null_column(const ParseTree& raw_expr) {
    const ParseTree& test = member(raw_expr, "NullTest");
    if (test.value("nulltesttype", "") != "IS_NOT_NULL") {
        return "";
    }
    const ParseTree& fields = member_list(member(member(test, "arg"), "ColumnRef"), "fields");
    return fields.size() == 1 ? string_value(fields[0]) : "";
}

// Primary keys and IS NOT NULL checks the file adds, and which checks are
// validated (set-not-null and ban-drop-primary-key read them), in or out of a
// transaction.
void record_constraints(const StatementRef& s, FileState& f) {
    const std::string table = qualified_name(member(s.body, "relation"));
    if (s.kind == "CreateStmt") {
        auto add_primary_key = [&](const ParseTree& con) {
            if (con.value("contype", "") == "CONSTR_PRIMARY" && con.contains("conname")) {
                f.add_primary_key(table + "." + con.value("conname", ""));
            }
        };
        for (const auto& elt : member_list(s.body, "tableElts")) {
            for (const auto& item : member_list(member(elt, "ColumnDef"), "constraints")) {
                add_primary_key(member(item, "Constraint"));
            }
            add_primary_key(member(elt, "Constraint"));
        }
        return;
    }
    const std::string prefix = table + ".";
    for (const ParseTree* cmd : alter_commands(s.body)) {
        const std::string sub = cmd->value("subtype", "");
        const std::string key = prefix + cmd->value("name", "");
        const ParseTree& con = member(member(*cmd, "def"), "Constraint");
        const std::string column = not_null_column(member(con, "raw_expr"));
        std::string conname = con.value("conname", "");
        if (conname.empty() && !column.empty()) {  // the name PostgreSQL gives it
            conname =
                make_object_name(member(s.body, "relation").value("relname", ""), column, "check");
        }
        const std::string conkey = prefix + conname;
        if (sub == "AT_AddConstraint" && con.value("contype", "") == "CONSTR_PRIMARY") {
            f.add_primary_key(conkey);
        } else if (sub == "AT_AddConstraint" && !column.empty()) {
            f.set_not_null_check(conkey, column);
            if (!con.value("skip_validation", false)) {
                f.add_validated_not_null(prefix + column);
            }
        } else if (sub == "AT_ValidateConstraint" && f.not_null_checks.count(key) != 0) {
            f.add_validated_not_null(prefix + f.not_null_checks.at(key));
        } else if (sub == "AT_DropConstraint" && f.not_null_checks.count(key) != 0) {
            f.drop_validated_not_null(prefix + f.not_null_checks.at(key));
        }
    }
}

}  // namespace

void RunFacts::add_created_table(const std::string& table) {
    if (created_tables.insert(table).second) {
        m_undo.emplace_back([table](RunFacts& f) { f.created_tables.erase(table); });
    }
}

void RunFacts::add_primary_key(const std::string& key) {
    if (primary_keys.insert(key).second) {
        m_undo.emplace_back([key](RunFacts& f) { f.primary_keys.erase(key); });
    }
}

void RunFacts::set_not_null_check(const std::string& key, const std::string& column) {
    auto it = not_null_checks.find(key);
    std::optional<std::string> before;
    if (it != not_null_checks.end()) {
        before = it->second;
    }
    not_null_checks[key] = column;
    m_undo.emplace_back([key, before](RunFacts& f) {
        if (before) {
            f.not_null_checks[key] = *before;
        } else {
            f.not_null_checks.erase(key);
        }
    });
}

void RunFacts::add_validated_not_null(const std::string& column) {
    if (validated_not_null.insert(column).second) {
        m_undo.emplace_back([column](RunFacts& f) { f.validated_not_null.erase(column); });
    }
}

void RunFacts::drop_validated_not_null(const std::string& column) {
    if (validated_not_null.erase(column) != 0) {
        m_undo.emplace_back([column](RunFacts& f) { f.validated_not_null.insert(column); });
    }
}

void RunFacts::undo() {
    auto undo = std::move(m_undo);
    m_undo.clear();
    std::for_each(undo.rbegin(), undo.rend(), [this](const auto& step) { step(*this); });
}

void apply_statement(const StatementRef& s, FileState& f) {
    const bool was_in_transaction = f.in_transaction();
    if (s.kind == "TransactionStmt") {
        std::string kind = s.body.value("kind", "");
        if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") {
            f.in_explicit_block = true;
            f.tx = {};
        } else if (kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK") {
            f.in_explicit_block = false;
            f.tx = {};
        }
        return;
    }
    if (s.kind == "VariableSetStmt") {
        std::string name = s.body.value("name", "");
        bool reset = s.body.value("kind", "") == "VAR_RESET" ||
                     s.body.value("kind", "") == "VAR_SET_DEFAULT";
        if (name == "lock_timeout") {
            f.lock_timeout_ms = reset ? std::nullopt : setting_ms(s.body, s.tree_text);
        } else if (name == "statement_timeout") {
            f.statement_timeout_ms = reset ? std::nullopt : setting_ms(s.body, s.tree_text);
        }
    }
    if (s.kind == "CreateStmt" || s.kind == "CreateTableAsStmt") {
        const ParseTree& rel = s.kind == "CreateStmt" ? member(s.body, "relation")
                                                      : member(member(s.body, "into"), "rel");
        f.add_created_table(qualified_name(rel));
    }
    if (s.kind == "CreateStmt" || s.kind == "AlterTableStmt") {
        record_constraints(s, f);
    }
    if (!was_in_transaction) {
        return;  // autocommit: nothing carries over to the next statement
    }
    ++f.tx.statements;
    f.tx.has_ddl = f.tx.has_ddl || s.lock.is_ddl;
    for (const auto& r : s.lock.relations) {
        if (f.created_tables.count(r.relation) != 0) {
            continue;  // a table new in this plan is invisible to everyone else
        }
        if (r.level >= LockLevel::share) {
            f.tx.strong_locked.insert(r.relation);
        }
        if (r.level == LockLevel::access_exclusive && r.exemptable) {
            f.tx.access_exclusive_tables.insert(r.relation);
        }
        if (r.level == LockLevel::access_exclusive && !f.tx.access_exclusive_by) {
            f.tx.access_exclusive_by =
                first_line(s.sql, 60) + " (line " + std::to_string(s.line) + ")";
        }
    }
    if (s.kind == "AlterEnumStmt" && s.body.contains("newVal") && !s.body.contains("oldVal")) {
        f.tx.enum_values_added[s.body.value("newVal", "")] =
            dotted_name(member_list(s.body, "typeName")) + " (line " + std::to_string(s.line) + ")";
    }
    if (s.kind == "AlterTableStmt") {
        std::string table = qualified_name(member(s.body, "relation"));
        ++f.tx.alter_count[table];
        for (const ParseTree* cmd : alter_commands(s.body)) {
            const ParseTree& def = member(*cmd, "def");
            if (cmd->value("subtype", "") == "AT_AddConstraint" && def.contains("Constraint") &&
                def["Constraint"].value("skip_validation", false)) {
                f.tx.not_valid_added.insert(table + "." + def["Constraint"].value("conname", ""));
            }
        }
    }
}

}  // namespace sm::planner
