#include "planner/rewrite.hpp"

#include <algorithm>
#include <cctype>

#include "core/sql_quote.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rewrite_recipes.hpp"
#include "planner/rule_support.hpp"
#include "planner/sql_parser.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

constexpr const char* k_split_by_hand =
    "no recipe: an ALTER TABLE with several subcommands; split it into one ALTER TABLE per "
    "subcommand and run safe-migrate rewrite again";

RecipeTable recipe_table(const ParseTree& range_var) {
    RecipeTable t;
    t.schema = range_var.value("schemaname", "public");
    t.name = range_var.value("relname", "");
    t.sql = relation_sql(range_var);
    return t;
}

void rewrite_alter_table(const RecipeInput& in, Rewrite& out) {
    const ParseTree& cmds = member_list(in.stmt, "cmds");
    if (in.stmt.value("objtype", "") != "OBJECT_TABLE" || cmds.empty()) {
        return;
    }
    if (cmds.size() > 1) {
        out.no_recipe = k_split_by_hand;
        return;
    }
    const ParseTree& cmd = member(cmds[0], "AlterTableCmd");
    std::string subtype = cmd.value("subtype", "");
    const ParseTree& con = member(member(cmd, "def"), "Constraint");
    std::string contype = con.value("contype", "");
    if (subtype == "AT_SetNotNull") {
        recipe_set_not_null(in, cmd.value("name", ""), out);
    } else if (subtype == "AT_AlterColumnType") {
        recipe_alter_type(in, cmd, out);
    } else if (subtype == "AT_AddConstraint" &&
               (contype == "CONSTR_CHECK" || contype == "CONSTR_FOREIGN")) {
        recipe_not_valid(in, con, out);
    } else if (subtype == "AT_AddConstraint" &&
               (contype == "CONSTR_UNIQUE" || contype == "CONSTR_PRIMARY")) {
        recipe_unique(in, con, out);
    } else if (subtype == "AT_AddConstraint" && contype == "CONSTR_EXCLUSION") {
        out.no_recipe =
            "no recipe: an exclusion constraint cannot be added NOT VALID or from an index built "
            "CONCURRENTLY; schedule downtime for it";
    } else if (subtype == "AT_AddColumn") {
        recipe_add_column(in, cmd, out);
    }
}

void rewrite_statement(const ParseTree& root, const std::string& text, const TargetFacts& facts,
                       Rewrite& out) {
    if (root.contains("AlterTableStmt")) {
        const ParseTree& stmt = root["AlterTableStmt"];
        rewrite_alter_table({stmt, text, recipe_table(member(stmt, "relation")), facts}, out);
    } else if (root.contains("IndexStmt")) {
        const ParseTree& stmt = root["IndexStmt"];
        if (!stmt.value("concurrent", false)) {
            recipe_create_index({stmt, text, recipe_table(member(stmt, "relation")), facts}, out);
        }
    } else if (root.contains("DropStmt")) {
        const ParseTree& stmt = root["DropStmt"];
        if (stmt.value("removeType", "") == "OBJECT_INDEX" && !stmt.value("concurrent", false)) {
            recipe_drop_index(stmt, facts, out);
        }
    } else if (root.contains("UpdateStmt")) {
        const ParseTree& stmt = root["UpdateStmt"];
        if (!stmt.contains("whereClause")) {
            recipe_whole_table_update({stmt, text, recipe_table(member(stmt, "relation")), facts},
                                      out);
        }
    } else if (root.contains("DeleteStmt")) {
        const ParseTree& stmt = root["DeleteStmt"];
        recipe_delete({stmt, text, recipe_table(member(stmt, "relation")), facts}, out);
    } else if (root.contains("RenameStmt") &&
               root["RenameStmt"].value("renameType", "") == "OBJECT_COLUMN" &&
               root["RenameStmt"].value("relationType", "") == "OBJECT_TABLE") {
        const ParseTree& stmt = root["RenameStmt"];
        recipe_rename_column({stmt, text, recipe_table(member(stmt, "relation")), facts}, out);
    }
}

}  // namespace

RewriteStep recipe_step(const std::string& change, size_t n, const std::string& what,
                        core::Phase phase, std::string up, std::string down) {
    RewriteStep s;
    s.name = change + "_" + std::to_string(n) + "_" + what;
    s.phase = phase;
    s.up = std::move(up);
    s.down = std::move(down);
    return s;
}

std::string alter_table(const RecipeTable& t, const std::string& rest) {
    return "ALTER TABLE " + t.sql + " " + rest + ";\n";
}

std::string index_refusal(const ColumnFacts& c) {
    for (const auto& index : c.indexes) {
        if (!index.simple || index.unique) {
            return "no recipe for a column with a unique, expression or partial index (" +
                   index.name + "); by hand";
        }
    }
    return "";
}

std::string nothing_to_undo(const std::string& why) {
    return "-- nothing to undo: " + why + "\nSELECT 1;\n";
}

std::string change_name(const std::vector<std::string>& parts) {
    std::vector<std::string> clean;
    for (const auto& part : parts) {
        std::string c;
        for (char ch : part) {
            c += std::isalnum(static_cast<unsigned char>(ch)) != 0
                     ? static_cast<char>(std::tolower(static_cast<unsigned char>(ch)))
                     : '_';
        }
        if (!c.empty()) {
            clean.push_back(c);
        }
    }
    return util::join(clean, "_");
}

std::vector<Rewrite> rewrite_sql(const std::string& file, const std::string& sql,
                                 const TargetFacts& facts) {
    SplitResult split = split_statements_parsed(sql);
    if (split.error) {
        throw Error(ExitCode::invalid_input,
                    file + ":" + std::to_string(util::line_of_offset(sql, split.error->offset)) +
                        ": " + split.error->message);
    }
    std::vector<Rewrite> out;
    ParseDocument doc;
    for (const auto& piece : split.statements) {
        std::string text = statement_text(sql.substr(piece.offset, piece.length));
        Rewrite r;
        r.line = util::line_of_offset(sql, piece.offset);
        r.statement = first_line(text);
        ParseResult parsed = parse_sql(text);
        if (parsed.error) {
            throw Error(ExitCode::invalid_input,
                        file + ":" + std::to_string(r.line) + ": " + parsed.error->message);
        }
        const ParseTree& root =
            member(member_list(doc.parse(parsed.tree_json), "stmts")[0], "stmt");
        rewrite_statement(root, text, facts, r);
        out.push_back(std::move(r));
    }
    return out;
}

std::string step_file_text(const RewriteStep& step, const std::string& change, bool unproven,
                           bool down) {
    std::string text = "-- safe-migrate: phase=" + std::string(core::phase_name(step.phase)) +
                       "\n-- safe-migrate: change=" + change + "\n";
    if (step.no_transaction) {
        text += "-- safe-migrate: no-transaction\n";
    }
    if (unproven && !down) {
        text += "-- safe-migrate: unproven\n";
    }
    if (!down) {
        for (const auto& [rule, reason] : step.allows) {
            text.append("-- safe-migrate: allow ").append(rule).append(" reason=\"");
            text.append(reason).append("\"\n");
        }
    }
    if (!down && step.down.empty()) {
        text += "-- no down file: what it deletes cannot come back, so rollback refuses it\n";
    }
    return text + (down ? step.down : step.up);
}

bool rule_has_recipe(std::string_view rule) {
    static const std::vector<std::string_view> k_rules = {
        "changing-column-type",
        "set-not-null",
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
        "adding-unique-constraint",
        "adding-primary-key",
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "adding-field-with-volatile-default",
        "renaming-column",
        "ban-delete-or-update-without-where",  // a whole-table UPDATE or DELETE: a backfill
    };
    return std::find(k_rules.begin(), k_rules.end(), rule) != k_rules.end();
}

}  // namespace sm::planner
