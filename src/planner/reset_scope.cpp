#include "planner/reset_scope.hpp"

#include <string_view>

#include "planner/parse_helpers.hpp"
#include "planner/sql_parser.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

bool never_dropped(const std::string& schema) {
    return schema == "safe_migrate" || schema == "information_schema" ||
           util::starts_with(schema, "pg_");
}

// The role name of a RoleSpec (printed bare or wrapped in {"RoleSpec": ...}),
// or "" when it is not a plain name (CURRENT_USER, ...).
std::string role_name(const ParseTree& spec) {
    const ParseTree& role = spec.contains("RoleSpec") ? spec["RoleSpec"] : spec;
    return role.value("roletype", "") == "ROLESPEC_CSTRING" ? role.value("rolename", "") : "";
}

// Reads one statement's parse tree for the schemas and extensions it creates.
void collect(const ParseTree& stmt, ResetScope& scope) {
    if (!stmt.is_object() || stmt.empty()) {
        return;
    }
    const std::string_view kind = stmt.begin().key();
    const ParseTree& node = stmt.begin().value();
    if (kind == "CreateSchemaStmt") {
        // CREATE SCHEMA AUTHORIZATION bob names the schema after the role.
        std::string name = node.value("schemaname", "");
        if (name.empty()) {
            name = role_name(member(node, "authrole"));
        }
        scope.schemas.insert(name);
    } else if (kind == "RenameStmt" && node.value("renameType", "") == "OBJECT_SCHEMA") {
        scope.schemas.insert(node.value("newname", ""));
    } else if (kind == "CreateExtensionStmt") {
        scope.extensions.insert(node.value("extname", ""));
    }
}

}  // namespace

ResetScope reset_scope(const std::map<core::Version, core::Script>& up) {
    ResetScope scope;
    scope.schemas.insert("public");
    ParseDocument document;
    for (const auto& [version, script] : up) {
        for (const auto& s : script.statements) {
            ParseResult parsed = parse_sql(s.sql);
            if (parsed.error) {
                continue;  // load_project reported it already
            }
            const ParseTree& tree = document.parse(parsed.tree_json);
            for (const auto& raw : member_list(tree, "stmts")) {
                collect(member(raw, "stmt"), scope);
            }
        }
    }
    for (auto it = scope.schemas.begin(); it != scope.schemas.end();) {
        it = it->empty() || never_dropped(*it) ? scope.schemas.erase(it) : std::next(it);
    }
    scope.extensions.erase("");
    return scope;
}

}  // namespace sm::planner
