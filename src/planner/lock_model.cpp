#include "planner/lock_model.hpp"

#include <algorithm>

#include "planner/parse_helpers.hpp"

namespace sm::planner {
namespace {

using L = LockLevel;

void add_table(LockPrediction& p, const std::string& table) {
    if (!table.empty() && std::find(p.tables.begin(), p.tables.end(), table) == p.tables.end()) {
        p.tables.push_back(table);
    }
}

void raise(LockPrediction& p, LockLevel level) {
    p.level = std::max(p.level, level);
}

// ALTER TABLE takes the strongest lock any of its subcommands needs.
void alter_table(LockPrediction& p, const json& body) {
    add_table(p, qualified_name(member(body, "relation")));
    p.is_ddl = true;
    for (const json* cmd : alter_commands(body)) {
        std::string sub = cmd->value("subtype", "");
        const json& def = member(*cmd, "def");
        if (sub == "AT_AddConstraint" && def.contains("Constraint")) {
            const json& c = def["Constraint"];
            std::string type = c.value("contype", "");
            if (type == "CONSTR_FOREIGN") {
                raise(p, L::share_row_exclusive);
                add_table(p, qualified_name(member(c, "pktable")));
                p.scans = p.scans || !c.value("skip_validation", false);
            } else {
                raise(p, L::access_exclusive);
                p.scans =
                    p.scans || ((type == "CONSTR_CHECK" && !c.value("skip_validation", false)) ||
                                type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE");
            }
        } else if (sub == "AT_ValidateConstraint" || sub == "AT_SetStatistics" ||
                   sub == "AT_SetOptions" || sub == "AT_ResetOptions" || sub == "AT_ClusterOn" ||
                   sub == "AT_DropCluster" || sub == "AT_SetRelOptions" ||
                   sub == "AT_ResetRelOptions") {
            raise(p, L::share_update_exclusive);
            p.scans = p.scans || sub == "AT_ValidateConstraint";
        } else if (sub == "AT_AttachPartition") {
            raise(p, L::share_update_exclusive);
            if (def.contains("PartitionCmd")) {
                add_table(p, qualified_name(member(def["PartitionCmd"], "name")));
            }
            p.scans = true;
        } else if (sub == "AT_DetachPartition") {
            bool concurrent =
                def.contains("PartitionCmd") && def["PartitionCmd"].value("concurrent", false);
            raise(p, concurrent ? L::share_update_exclusive : L::access_exclusive);
            if (def.contains("PartitionCmd")) {
                add_table(p, qualified_name(member(def["PartitionCmd"], "name")));
            }
        } else if (sub.rfind("AT_EnableTrig", 0) == 0 || sub.rfind("AT_DisableTrig", 0) == 0 ||
                   sub == "AT_EnableAlwaysTrig" || sub == "AT_EnableReplicaTrig") {
            raise(p, L::share_row_exclusive);
        } else {
            raise(p, L::access_exclusive);
            if (sub == "AT_AlterColumnType" || sub == "AT_SetLogged" || sub == "AT_SetUnLogged" ||
                sub == "AT_SetTableSpace" || sub == "AT_SetAccessMethod") {
                p.rewrites = true;
            }
            if (sub == "AT_SetNotNull") {
                p.scans = true;
            }
        }
    }
}

void relations(LockPrediction& p, const json& list) {
    if (!list.is_array()) {
        return;
    }
    for (const auto& item : list) {
        if (item.contains("RangeVar")) {
            add_table(p, qualified_name(item["RangeVar"]));
        } else if (item.contains("VacuumRelation")) {
            add_table(p, qualified_name(member(item["VacuumRelation"], "relation")));
        }
    }
}

}  // namespace

LockLevel lock_mode_number(int mode) {
    static const LockLevel k_modes[] = {L::none,
                                        L::access_share,
                                        L::row_share,
                                        L::row_exclusive,
                                        L::share_update_exclusive,
                                        L::share,
                                        L::share_row_exclusive,
                                        L::exclusive,
                                        L::access_exclusive};
    return mode >= 1 && mode <= 8 ? k_modes[mode] : L::access_exclusive;
}

LockPrediction predict_lock(const std::string& kind, const json& body) {
    LockPrediction p;
    if (kind == "AlterTableStmt") {
        alter_table(p, body);
    } else if (kind == "IndexStmt") {
        p.is_ddl = true;
        raise(p, body.value("concurrent", false) ? L::share_update_exclusive : L::share);
        add_table(p, qualified_name(member(body, "relation")));
    } else if (kind == "DropStmt") {
        p.is_ddl = true;
        std::string type = body.value("removeType", "");
        raise(p, body.value("concurrent", false) ? L::share_update_exclusive : L::access_exclusive);
        if (type == "OBJECT_TABLE" || type == "OBJECT_INDEX" || type == "OBJECT_MATVIEW" ||
            type == "OBJECT_VIEW") {
            for (const auto& obj : member_list(body, "objects")) {
                std::string name =
                    obj.contains("List") ? dotted_name(member_list(obj["List"], "items")) : "";
                if (!name.empty() && name.find('.') == std::string::npos) {
                    name = "public." + name;
                }
                add_table(p, name);
            }
        }
    } else if (kind == "TruncateStmt") {
        p.is_ddl = true;
        raise(p, L::access_exclusive);
        relations(p, member_list(body, "relations"));
    } else if (kind == "RenameStmt") {
        p.is_ddl = true;
        raise(p, L::access_exclusive);
        add_table(p, qualified_name(member(body, "relation")));
    } else if (kind == "InsertStmt" || kind == "UpdateStmt" || kind == "DeleteStmt" ||
               kind == "MergeStmt") {
        raise(p, L::row_exclusive);
        add_table(p, qualified_name(member(body, "relation")));
    } else if (kind == "VacuumStmt") {
        p.is_ddl = body.value("is_vacuumcmd", false);
        bool full = has_option(member_list(body, "options"), "full");
        raise(p, full ? L::access_exclusive : L::share_update_exclusive);
        p.rewrites = full;
        relations(p, member_list(body, "rels"));
    } else if (kind == "ClusterStmt") {
        p.is_ddl = true;
        raise(p, L::access_exclusive);
        p.rewrites = true;
        if (body.contains("relation")) {
            add_table(p, qualified_name(body["relation"]));
        }
    } else if (kind == "RefreshMatViewStmt") {
        raise(p, body.value("concurrent", false) ? L::exclusive : L::access_exclusive);
        p.rewrites = !body.value("concurrent", false);
        add_table(p, qualified_name(member(body, "relation")));
    } else if (kind == "LockStmt") {
        raise(p, lock_mode_number(body.value("mode", 0)));
        relations(p, member_list(body, "relations"));
    } else if (kind == "CreateTrigStmt") {
        p.is_ddl = true;
        raise(p, L::share_row_exclusive);
        add_table(p, qualified_name(member(body, "relation")));
    } else if (kind == "ReindexStmt") {
        p.is_ddl = true;
        raise(p, has_option(member_list(body, "params"), "concurrently") ? L::share_update_exclusive
                                                                         : L::share);
        if (body.contains("relation")) {
            add_table(p, qualified_name(body["relation"]));
        }
    } else if (kind == "CreateStmt") {
        // A new table locks nothing others use, except the tables its foreign keys reference.
        p.is_ddl = true;
        auto reference = [&](const json& c) {
            if (c.value("contype", "") == "CONSTR_FOREIGN") {
                raise(p, L::share_row_exclusive);
                add_table(p, qualified_name(member(c, "pktable")));
            }
        };
        for (const auto& elt : member_list(body, "tableElts")) {
            if (elt.contains("Constraint")) {
                reference(elt["Constraint"]);
            } else if (elt.contains("ColumnDef")) {
                for (const auto& c : member_list(elt["ColumnDef"], "constraints")) {
                    if (c.contains("Constraint")) {
                        reference(c["Constraint"]);
                    }
                }
            }
        }
    } else if (kind == "SelectStmt") {
        raise(p, L::access_share);
    } else if (kind != "VariableSetStmt" && kind != "TransactionStmt" &&
               kind != "VariableShowStmt") {
        // CREATE FUNCTION/VIEW/TYPE/SEQUENCE, COMMENT, GRANT ...: catalog changes.
        p.is_ddl = true;
    }
    return p;
}

}  // namespace sm::planner
