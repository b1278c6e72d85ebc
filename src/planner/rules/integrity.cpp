// Rule family "integrity": statements that break what other systems or the
// data rely on, or that fail only at run time, while looking harmless.
//
//   enum-add-value-in-transaction        ALTER TYPE ... ADD VALUE in a transaction block,
//                                        which fails before PostgreSQL 12
//   enum-value-used-in-same-transaction  a value ADD VALUE added, used later in the same
//                                        transaction ("unsafe use of new value")
//   ban-drop-primary-key                 DROP CONSTRAINT of a primary key
//   replica-identity-change              ALTER TABLE ... REPLICA IDENTITY
//   ban-disable-triggers                 DISABLE TRIGGER ALL / USER,
//                                        SET session_replication_role = replica

#include <map>
#include <set>
#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// Every string constant in node that is one of the labels added in this
// transaction (a literal such as 'shipped' or 'shipped'::status).
void find_new_labels(const ParseTree& node, const std::map<std::string, std::string>& labels,
                     std::set<std::string>& found) {
    if (node.is_object()) {
        if (node.contains("A_Const")) {
            const std::string value = member(node["A_Const"], "sval").value("sval", "");
            if (!value.empty() && labels.count(value) != 0) {
                found.insert(value);
            }
            return;
        }
        for (const auto& item : node.items()) {
            find_new_labels(item.value(), labels, found);
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            find_new_labels(item, labels, found);
        }
    }
}

void check_enum_use(const StatementRef& s, const FileState& f, Emitter& out) {
    if (f.tx.enum_values_added.empty() || !f.in_transaction() || s.kind == "AlterEnumStmt") {
        return;
    }
    std::set<std::string> found;
    find_new_labels(s.body, f.tx.enum_values_added, found);
    for (const auto& label : found) {
        out.emit("enum-value-used-in-same-transaction",
                 first_line(s.sql, 60) + " uses '" + label + "', the value ALTER TYPE " +
                     f.tx.enum_values_added.at(label) +
                     " added in this same transaction: where it is read as that enum, PostgreSQL "
                     "fails with \"unsafe use of new value\" until the transaction that added it "
                     "commits; add the value in a migration of its own and use it in a later one");
    }
}

void check_add_value(const StatementRef& s, const FileState& f, Emitter& out) {
    if (!s.body.contains("newVal") || s.body.contains("oldVal") || !f.in_transaction() ||
        f.pg_version >= 120000) {
        return;
    }
    EmitExtras x;
    x.rewrite = std::string(k_no_tx_directive) + statement_text(s.sql) + ";";
    out.emit("enum-add-value-in-transaction",
             "ALTER TYPE " + dotted_name(member_list(s.body, "typeName")) + " ADD VALUE '" +
                 s.body.value("newVal", "") +
                 "' fails inside a transaction block before PostgreSQL 12 (the target runs " +
                 pg_version_text(f.pg_version) +
                 "); put it in a migration of its own marked -- safe-migrate: no-transaction",
             x);
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The consequence every primary key drop and identity change shares.
const char* k_replication =
    "logical replication and CDC (Debezium, pglogical, subscriptions) identify changed rows by "
    "this key";

void check_drop_primary_key(const std::string& table, const ParseTree& cmd,
                            const std::vector<const ParseTree*>& commands, const FileState& f,
                            Emitter& out) {
    const std::string name = cmd.value("name", "");
    const bool created_here = f.primary_keys.count(table + "." + name) != 0;
    if (!created_here && !ends_with(util::to_lower(name), "_pkey")) {
        return;
    }
    std::string message = "ALTER TABLE " + table + " DROP CONSTRAINT " + name + " drops " +
                          (created_here ? "the primary key this file added to " + table
                                        : "what its name says is the primary key of " + table +
                                              " (the linter cannot see the catalog)") +
                          ": " + k_replication + ", so while " + table +
                          " is in a publication every UPDATE and DELETE on it fails until it has "
                          "a replica identity again, and CDC consumers lose their row key";
    bool replaced = false;
    for (const ParseTree* other : commands) {
        const ParseTree& con = member(member(*other, "def"), "Constraint");
        replaced = replaced || (other->value("subtype", "") == "AT_AddConstraint" &&
                                con.value("contype", "") == "CONSTR_PRIMARY");
    }
    if (replaced) {
        message +=
            "; the same statement adds a new primary key, so every subscriber and CDC consumer "
            "keyed on the old columns must be changed first";
    }
    if (cmd.value("behavior", "") == "DROP_CASCADE") {
        message += "; CASCADE also drops the foreign keys that reference it";
    }
    out.emit("ban-drop-primary-key", message, about_table(table));
}

void check_replica_identity(const std::string& table, const ParseTree& cmd, Emitter& out) {
    const ParseTree& stmt = member(member(cmd, "def"), "ReplicaIdentityStmt");
    const std::string type = stmt.value("identity_type", "");
    const std::string head = "ALTER TABLE " + table + " REPLICA IDENTITY ";
    std::string message;
    if (type == "f") {
        message = head + "FULL writes the whole old row to WAL for every UPDATE and DELETE on " +
                  table +
                  " (more WAL, slower replication) and changes what subscribers and CDC "
                  "consumers receive";
    } else if (type == "n") {
        message = head + "NOTHING: while " + table +
                  " is in a publication that publishes updates or deletes, every UPDATE and "
                  "DELETE on it fails, and CDC consumers get no key for changed rows";
    } else if (type == "i") {
        message = head + "USING INDEX " + stmt.value("name", "") + " changes the key that " +
                  k_replication + "; dropping that index later leaves " + table +
                  " with no replica identity";
    } else {
        message = head +
                  "DEFAULT identifies changed rows by the primary key again: without one, UPDATE "
                  "and DELETE on " +
                  table + " fail while it is in a publication";
    }
    out.emit("replica-identity-change",
             message + "; coordinate with every publication and CDC consumer of " + table,
             about_table(table));
}

void check_disable_triggers(const std::string& table, const ParseTree& cmd, Emitter& out) {
    const std::string sub = cmd.value("subtype", "");
    EmitExtras x = about_table(table);
    x.lock = LockLevel::share_row_exclusive;
    if (sub == "AT_DisableTrigAll") {
        out.emit("ban-disable-triggers",
                 "ALTER TABLE " + table +
                     " DISABLE TRIGGER ALL also disables the internal triggers that enforce "
                     "foreign keys on " +
                     table +
                     ": rows written until ENABLE TRIGGER ALL are never checked, and the "
                     "orphans they leave stay",
                 x);
    } else if (sub == "AT_DisableTrigUser") {
        out.emit("ban-disable-triggers",
                 "ALTER TABLE " + table + " DISABLE TRIGGER USER stops every user trigger on " +
                     table +
                     " (audit, sync and denormalization triggers): writes until ENABLE TRIGGER "
                     "USER skip them silently (foreign keys are still enforced)",
                 x);
    }
}

void check_integrity_in_alter_table(const StatementRef& s, const FileState& f, Emitter& out) {
    const std::string objtype = s.body.value("objtype", "OBJECT_TABLE");
    if (objtype != "OBJECT_TABLE") {
        return;
    }
    const std::string table = qualified_name(member(s.body, "relation"));
    const auto commands = alter_commands(s.body);
    for (const ParseTree* cmd : commands) {
        const std::string sub = cmd->value("subtype", "");
        if (sub == "AT_DropConstraint") {
            check_drop_primary_key(table, *cmd, commands, f, out);
        } else if (sub == "AT_ReplicaIdentity") {
            check_replica_identity(table, *cmd, out);
        } else if (sub == "AT_DisableTrigAll" || sub == "AT_DisableTrigUser") {
            check_disable_triggers(table, *cmd, out);
        }
    }
}

void check_replication_role(const StatementRef& s, Emitter& out) {
    if (s.body.value("name", "") != "session_replication_role") {
        return;
    }
    const ParseTree& args = member_list(s.body, "args");
    const std::string value =
        util::to_lower(member(member(args.front(), "A_Const"), "sval").value("sval", ""));
    if (value != "replica") {
        return;
    }
    EmitExtras x;
    x.lock = LockLevel::none;
    out.emit("ban-disable-triggers",
             "SET session_replication_role = replica stops every ordinary trigger in this "
             "session, the internal triggers that enforce foreign keys included: rows written "
             "until it is reset are never checked",
             x);
}

}  // namespace

void check_integrity(const StatementRef& s, const FileState& f, Emitter& out) {
    check_enum_use(s, f, out);
    if (s.kind == "AlterEnumStmt") {
        check_add_value(s, f, out);
    } else if (s.kind == "AlterTableStmt") {
        check_integrity_in_alter_table(s, f, out);
    } else if (s.kind == "VariableSetStmt") {
        check_replication_role(s, out);
    }
}

}  // namespace sm::planner
