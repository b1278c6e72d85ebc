// Rule family "indexes": index builds, drops and rebuilds without CONCURRENTLY,
// CONCURRENTLY statements where a transaction block is in force, and
// non-idempotent DDL in no-transaction migrations (a retry after a partial
// failure must get past the statements that already ran).
//
// The parse tree decides what a statement is; rewrites are made by inserting
// keywords into the statement text at positions found by the token scanner of
// rule_support.hpp, which respects quotes, comments and parentheses.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"

namespace sm::planner {
namespace {

// The name PostgreSQL would give an unnamed index: table_col1_col2_idx,
// "expr" standing for an expression.
std::string default_index_name(const ParseTree& body) {
    std::string cols;
    for (const auto& param : member_list(body, "indexParams")) {
        const ParseTree& elem = member(param, "IndexElem");
        cols += (cols.empty() ? "" : "_") + elem.value("name", std::string("expr"));
    }
    return make_object_name(member(body, "relation").value("relname", ""), cols, "idx");
}

// Inserts text after token k (a keyword found by the caller).
std::string insert_after(const std::string& sql, const Token& t, const std::string& text) {
    return sql.substr(0, t.end) + text + sql.substr(t.end);
}

// Why a CONCURRENTLY statement would run in a transaction block, and what to do.
std::string transaction_reason(const FileState& f) {
    if (f.in_explicit_block) {
        return "it sits inside a BEGIN block written in this file; move it out of the block, into "
               "a "
               "migration of its own marked -- safe-migrate: no-transaction";
    }
    return "this migration runs in a transaction (no -- safe-migrate: no-transaction directive), "
           "so the "
           "runner would have to run the whole file outside a transaction; put the statement in a "
           "migration of its own marked -- safe-migrate: no-transaction";
}

void emit_in_transaction(const std::string& what, const std::string& rewrite,
                         const std::string& table, const FileState& f, Emitter& out) {
    EmitExtras extras{rewrite, {}, ""};
    if (!table.empty()) {
        extras.tables.push_back(table);
    }
    out.emit("concurrent-in-transaction",
             what + " cannot run inside a transaction block, and " + transaction_reason(f), extras);
}

const char* k_invalid_note =
    "; IF NOT EXISTS also skips an INVALID index left by a failed build, so the runner checks "
    "pg_index.indisvalid afterwards";

// ---------------------------------------------------------------------------
// CREATE INDEX

// An index name as SQL, in its table's schema when the statement names one.
std::string index_sql(const ParseTree& relation, const std::string& name) {
    const std::string schema = relation.value("schemaname", "");
    return schema.empty() ? core::quote_ident(name) : qualified_sql(schema, name);
}

// The statement with CONCURRENTLY (when add_concurrently) and IF NOT EXISTS
// (naming the index when it had no name).
std::string robust_create_index(const std::string& text, const ParseTree& body,
                                bool add_concurrently) {
    const auto t = tokenize(text);
    size_t k = find_word(t, {"INDEX"});
    if (k == t.size()) {
        return "";
    }
    std::string inserted;
    if (add_concurrently) {
        inserted += " CONCURRENTLY";
    } else if (is_word(t, k + 1, "CONCURRENTLY")) {
        ++k;
    }
    if (!body.value("if_not_exists", false)) {
        inserted += " IF NOT EXISTS";
        if (body.value("idxname", "").empty()) {
            inserted += " " + core::quote_ident(default_index_name(body));
        }
    }
    return insert_after(text, t[k], inserted) + ";";
}

void check_create_index(const StatementRef& s, const FileState& f, Emitter& out) {
    const ParseTree& relation = member(s.body, "relation");
    const std::string table = qualified_name(relation);
    const std::string text = statement_text(s.sql);
    const std::string idxname = s.body.value("idxname", "");
    const bool concurrent = s.body.value("concurrent", false);
    const std::string what = std::string("CREATE ") +
                             (s.body.value("unique", false) ? "UNIQUE " : "") + "INDEX " +
                             (concurrent ? "CONCURRENTLY " : "") +
                             (idxname.empty() ? "" : idxname + " ") + "ON " + table;

    // ON ONLY a partitioned parent builds nothing (the index stays invalid
    // until each partition's index is attached): the safe recipe's first step.
    const bool only_parent = !relation.value("inh", false);
    if (!concurrent && !only_parent) {
        std::string rewrite = robust_create_index(text, s.body, true);
        if (!rewrite.empty()) {
            rewrite = k_no_tx_directive + rewrite;
        }
        out.emit("require-concurrent-index-creation",
                 what + " without CONCURRENTLY blocks every write to " + table +
                     " (SHARE lock) for the whole build; use CONCURRENTLY in a no-transaction "
                     "migration (for a partitioned table: ON ONLY the parent, CONCURRENTLY on each "
                     "partition, then ALTER INDEX ... ATTACH PARTITION)",
                 EmitExtras{rewrite, {table}, table});
    }
    if (concurrent && f.in_transaction()) {
        std::string rewrite = robust_create_index(text, s.body, false);
        emit_in_transaction(what, rewrite.empty() ? "" : k_no_tx_directive + rewrite, table, f,
                            out);
    }
    if (concurrent && !f.runner_file && s.body.value("if_not_exists", false)) {
        out.emit("concurrent-index-if-not-exists",
                 std::string("CREATE ") + (s.body.value("unique", false) ? "UNIQUE " : "") +
                     "INDEX CONCURRENTLY IF NOT EXISTS " + idxname + " ON " + table +
                     " in a file that another runner runs: a build that fails "
                     "(deadlock, unique violation, cancel) leaves " +
                     idxname +
                     " behind INVALID, and a retry then skips it because it exists, so the table "
                     "silently keeps an index no query can use; drop an INVALID leftover before "
                     "the build and check pg_index.indisvalid after it",
                 EmitExtras{"DROP INDEX CONCURRENTLY IF EXISTS " + index_sql(relation, idxname) +
                                ";  -- only when pg_index.indisvalid is false\n" + text + ";",
                            {table},
                            ""});
    }
    // safe-migrate drops an INVALID index left by a failed CREATE INDEX
    // CONCURRENTLY before it retries, and resumes a no-transaction migration
    // after its last completed statement: its own files need no IF NOT EXISTS.
    if (f.no_transaction && !s.body.value("if_not_exists", false) &&
        !(concurrent && f.runner_file)) {
        out.emit(
            "prefer-robust-stmts",
            what +
                " without IF NOT EXISTS: a retry of this no-transaction migration after a later "
                "statement fails stops here because the index exists" +
                k_invalid_note,
            EmitExtras{robust_create_index(text, s.body, false), {table}, ""});
    }
}

// ---------------------------------------------------------------------------
// DROP INDEX

void check_drop_index(const StatementRef& s, const FileState& f, Emitter& out) {
    const ParseTree& objects = member_list(s.body, "objects");
    std::vector<std::string> names;
    for (const auto& object : objects) {
        names.push_back(names_sql(member_list(member(object, "List"), "items")));
    }
    std::string list;
    for (const auto& name : names) {
        list += (list.empty() ? "" : ", ") + name;
    }
    const bool concurrent = s.body.value("concurrent", false);
    const bool missing_ok = s.body.value("missing_ok", false);
    const bool cascade = s.body.value("behavior", "") == "DROP_CASCADE";
    const std::string what =
        std::string("DROP INDEX ") + (concurrent ? "CONCURRENTLY " : "") + list;
    const std::string text = statement_text(s.sql);

    if (!concurrent) {
        // CONCURRENTLY takes one index and no CASCADE: one statement per index.
        std::string rewrite = k_no_tx_directive;
        for (const auto& name : names) {
            rewrite += "DROP INDEX CONCURRENTLY IF EXISTS " + name + ";\n";
        }
        rewrite.pop_back();
        std::string note;
        if (names.size() > 1 || cascade) {
            note = " (CONCURRENTLY accepts one index and no CASCADE, so drop them one by one" +
                   std::string(cascade ? " and drop dependent objects first" : "") + ")";
        }
        out.emit("require-concurrent-index-deletion",
                 what +
                     " without CONCURRENTLY takes ACCESS EXCLUSIVE on the indexed table, blocking "
                     "reads and writes while it waits for and holds the lock; use DROP INDEX "
                     "CONCURRENTLY in a no-transaction migration" +
                     note,
                 EmitExtras{rewrite, {}, ""});
    }
    auto with_if_exists = [&]() -> std::string {
        if (missing_ok) {
            return text + ";";
        }
        const auto t = tokenize(text);
        size_t k = find_word(t, {"INDEX"});
        if (k == t.size()) {
            return "";
        }
        if (is_word(t, k + 1, "CONCURRENTLY")) {
            ++k;
        }
        return insert_after(text, t[k], " IF EXISTS") + ";";
    };
    if (concurrent && f.in_transaction()) {
        std::string rewrite = with_if_exists();
        emit_in_transaction(what, rewrite.empty() ? "" : k_no_tx_directive + rewrite, "", f, out);
    }
    if (f.no_transaction && !missing_ok && !(concurrent && f.runner_file)) {
        out.emit("prefer-robust-stmts",
                 what +
                     " without IF EXISTS: a retry of this no-transaction migration after a later "
                     "statement fails stops here because the index is already gone",
                 EmitExtras{with_if_exists(), {}, ""});
    }
}

// ---------------------------------------------------------------------------
// REINDEX

void check_reindex(const StatementRef& s, const FileState& f, Emitter& out) {
    const std::string kind_name = s.body.value("kind", "");
    std::string kind = kind_name.substr(kind_name.rfind('_') + 1);  // INDEX, TABLE, SCHEMA, ...
    std::string target;
    std::string table;
    if (s.body.contains("relation")) {
        target = qualified_name(s.body["relation"]);
        if (kind == "TABLE") {
            table = target;
        }
    } else {
        target = s.body.value("name", "");
    }
    const bool concurrent = has_option(member_list(s.body, "params"), "concurrently");
    const std::string what = "REINDEX " + kind + (concurrent ? " CONCURRENTLY " : " ") + target;
    const std::string text = statement_text(s.sql);
    const bool supported = f.pg_version >= 120000;
    EmitExtras extras{"", {}, table};
    if (!table.empty()) {
        extras.tables.push_back(table);
    }

    if (concurrent && !supported) {
        out.emit("require-concurrent-reindex",
                 what + " needs PostgreSQL 12 or later; the target runs PostgreSQL " +
                     pg_version_text(f.pg_version) + ", so this statement fails",
                 extras);
        return;
    }
    if (concurrent) {
        if (f.in_transaction()) {
            emit_in_transaction(what, k_no_tx_directive + text + ";", table, f, out);
        }
        return;
    }

    std::string effect;
    if (kind == "INDEX") {
        effect =
            " takes ACCESS EXCLUSIVE on " + target +
            ", stalling every query that would use it, and SHARE on its table (writes blocked) "
            "for the whole rebuild";
    } else if (kind == "TABLE") {
        effect =
            " takes SHARE on " + target +
            " (writes blocked) and ACCESS EXCLUSIVE on each of its indexes, stalling queries that "
            "would use them, for the whole rebuild";
    } else {
        effect =
            " rebuilds every index in it, each under SHARE on its table and ACCESS EXCLUSIVE on "
            "the index";
    }
    std::string advice;
    if (kind == "SYSTEM") {
        advice =
            "; system catalogs cannot be reindexed CONCURRENTLY, so schedule it for a quiet period";
    } else if (!supported) {
        advice = "; REINDEX CONCURRENTLY needs PostgreSQL 12 and the target runs PostgreSQL " +
                 pg_version_text(f.pg_version) + ", so schedule it for a quiet period";
    } else {
        advice = "; use REINDEX " + kind + " CONCURRENTLY in a no-transaction migration";
        const auto t = tokenize(text);
        size_t k = find_word(t, {"INDEX", "TABLE", "SCHEMA", "DATABASE"}, 1);
        if (k < t.size()) {
            extras.rewrite = k_no_tx_directive + insert_after(text, t[k], " CONCURRENTLY") + ";";
        }
    }
    out.emit("require-concurrent-reindex", what + effect + advice, extras);
}

// ---------------------------------------------------------------------------
// CREATE TABLE and ALTER TABLE

void check_create_table(const StatementRef& s, const FileState& f, Emitter& out) {
    if (!f.no_transaction || s.body.value("if_not_exists", false)) {
        return;
    }
    const std::string table = qualified_name(member(s.body, "relation"));
    const std::string text = statement_text(s.sql);
    const auto t = tokenize(text);
    size_t k = find_word(t, {"TABLE"});
    std::string rewrite = k < t.size() ? insert_after(text, t[k], " IF NOT EXISTS") + ";" : "";
    out.emit("prefer-robust-stmts",
             "CREATE TABLE " + table +
                 " without IF NOT EXISTS: a retry of this no-transaction migration after a later "
                 "statement fails stops here because the table exists",
             EmitExtras{rewrite, {table}, ""});
}

// Token positions where each ALTER TABLE subcommand starts, or empty when the
// statement does not split into as many subcommands as the tree has.
std::vector<size_t> alter_command_starts(const std::vector<Token>& t, size_t expected) {
    std::vector<size_t> starts;
    const std::optional<size_t> commands = alter_table_commands_start(t);
    if (!commands) {
        return starts;
    }
    const size_t i = *commands;
    if (i < t.size()) {
        starts.push_back(i);
    }
    for (size_t k = i; k < t.size(); ++k) {
        if (is_punct(t, k, ',') && k + 1 < t.size()) {
            starts.push_back(k + 1);
        }
    }
    if (starts.size() != expected) {
        starts.clear();
    }
    return starts;
}

void check_indexes_in_alter_table(const StatementRef& s, const FileState& f, Emitter& out) {
    const std::string table = qualified_name(member(s.body, "relation"));
    const std::string text = statement_text(s.sql);
    const auto commands = alter_commands(s.body);

    for (const ParseTree* cmd : commands) {
        const ParseTree& def = member(*cmd, "def");
        if (cmd->value("subtype", "") == "AT_DetachPartition" && def.contains("PartitionCmd") &&
            def["PartitionCmd"].value("concurrent", false) && f.in_transaction()) {
            std::string statement = "ALTER TABLE " + table + " DETACH PARTITION ";
            statement += qualified_name(member(def["PartitionCmd"], "name"));
            statement += " CONCURRENTLY";
            emit_in_transaction(statement, k_no_tx_directive + text + ";", table, f, out);
        }
    }

    if (!f.no_transaction) {
        return;
    }
    std::vector<std::string> columns;
    std::vector<size_t> positions;  // command indexes missing IF NOT EXISTS
    for (size_t i = 0; i < commands.size(); ++i) {
        const ParseTree& cmd = *commands[i];
        if (cmd.value("subtype", "") == "AT_AddColumn" && !cmd.value("missing_ok", false)) {
            columns.push_back(member(member(cmd, "def"), "ColumnDef").value("colname", ""));
            positions.push_back(i);
        }
    }
    if (columns.empty()) {
        return;
    }
    const auto t = tokenize(text);
    const auto starts = alter_command_starts(t, commands.size());
    std::string rewrite;
    if (!starts.empty()) {
        rewrite = text;
        // Insert from the end so earlier offsets stay valid.
        for (size_t j = positions.size(); j-- > 0;) {
            size_t k = starts[positions[j]];
            if (!is_word(t, k, "ADD")) {
                rewrite.clear();
                break;
            }
            if (is_word(t, k + 1, "COLUMN")) {
                ++k;
            }
            rewrite = insert_after(rewrite, t[k], " IF NOT EXISTS");
        }
        if (!rewrite.empty()) {
            rewrite += ";";
        }
    }
    std::string list;
    for (const auto& c : columns) {
        list += (list.empty() ? "" : ", ") + c;
    }
    out.emit("prefer-robust-stmts",
             "ALTER TABLE " + table + " ADD COLUMN " + list +
                 " without IF NOT EXISTS: a retry of this no-transaction migration after a later "
                 "statement fails stops here because the column exists",
             EmitExtras{rewrite, {table}, ""});
}

}  // namespace

void check_indexes(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind == "IndexStmt") {
        check_create_index(s, f, out);
    } else if (s.kind == "DropStmt" && s.body.value("removeType", "") == "OBJECT_INDEX") {
        check_drop_index(s, f, out);
    } else if (s.kind == "ReindexStmt") {
        check_reindex(s, f, out);
    } else if (s.kind == "CreateStmt") {
        check_create_table(s, f, out);
    } else if (s.kind == "AlterTableStmt" && s.body.value("objtype", "") == "OBJECT_TABLE") {
        check_indexes_in_alter_table(s, f, out);
    }
}

}  // namespace sm::planner
