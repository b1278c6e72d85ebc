// The lock model (lock_model.hpp): a table from statement kind to the function
// that predicts its locks, and ALTER TABLE subcommands by PostgreSQL's
// AlterTableGetLockLevel.

#include "planner/lock_model.hpp"

#include <algorithm>
#include <string_view>

namespace sm::planner {
namespace {

using L = LockLevel;

// Records level on relation (keeping the strongest, with its note) and raises
// the statement's level.
void add(LockPrediction& p, const std::string& relation, L level, const std::string& note = "",
         bool exemptable = true) {
    p.level = std::max(p.level, level);
    if (relation.empty() || relation == "public.") {
        return;
    }
    for (auto& r : p.relations) {
        if (r.relation == relation) {
            if (level > r.level) {
                r.level = level;
                r.note = note;
            }
            return;
        }
    }
    p.relations.push_back({relation, level, note, exemptable});
}

bool reloption_is_light(const ParseTree& item) {
    const ParseTree& e = member(item, "DefElem");
    const std::string ns = e.value("defnamespace", "");
    const std::string name = e.value("defname", "");
    if (ns == "toast") {
        return name.rfind("autovacuum_", 0) == 0 || name == "vacuum_truncate";
    }
    static const char* k_light[] = {"fillfactor",         "parallel_workers",
                                    "toast_tuple_target", "vacuum_index_cleanup",
                                    "vacuum_truncate",    "log_autovacuum_min_duration",
                                    "user_catalog_table"};
    if (name.rfind("autovacuum_", 0) == 0) {
        return true;
    }
    return std::find_if(std::begin(k_light), std::end(k_light),
                        [&](const char* n) { return name == n; }) != std::end(k_light);
}

// Foreign keys in a constraint list lock their referenced table in SHARE ROW EXCLUSIVE.
// One {"Constraint": ...} node.
void add_fk_target(LockPrediction& p, const ParseTree& constraint) {
    const ParseTree& con = member(constraint, "Constraint");
    if (con.value("contype", "") == "CONSTR_FOREIGN" && con.contains("pktable")) {
        add(p, qualified_name(con["pktable"]), L::share_row_exclusive,
            "referenced by a new foreign key");
    }
}

void add_fk_targets(LockPrediction& p, const ParseTree& constraints) {
    for (const auto& c : constraints) {
        add_fk_target(p, c);
    }
}

// The lock one ALTER TABLE subcommand takes on the altered relation
// (PostgreSQL 15 AlterTableGetLockLevel); locks on other relations, rewrites
// and scans go to p directly.
L alter_command(LockPrediction& p, const ParseTree& cmd) {
    const std::string sub = cmd.value("subtype", "");
    const ParseTree& def = member(cmd, "def");
    if (sub == "AT_ValidateConstraint") {
        p.scans = true;
        return L::share_update_exclusive;
    }
    if (sub == "AT_SetStatistics" || sub == "AT_ClusterOn" || sub == "AT_DropCluster" ||
        sub == "AT_SetOptions" || sub == "AT_ResetOptions" || sub == "AT_DetachPartitionFinalize") {
        return L::share_update_exclusive;
    }
    if (sub == "AT_SetRelOptions" || sub == "AT_ResetRelOptions") {
        const ParseTree& items = member_list(member(def, "List"), "items");
        bool light = std::all_of(items.begin(), items.end(), reloption_is_light);
        return light ? L::share_update_exclusive : L::access_exclusive;
    }
    if (sub == "AT_AttachPartition") {
        // SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition, which is
        // scanned.
        add(p, qualified_name(member(member(def, "PartitionCmd"), "name")), L::access_exclusive,
            "the partition being attached");
        p.scans = true;
        return L::share_update_exclusive;
    }
    if (sub == "AT_DetachPartition") {
        const ParseTree& partition = member(def, "PartitionCmd");
        if (partition.value("concurrent", false)) {
            return L::share_update_exclusive;
        }
        add(p, qualified_name(member(partition, "name")), L::access_exclusive,
            "the partition being detached");
        return L::access_exclusive;
    }
    if (sub.rfind("AT_EnableTrig", 0) == 0 || sub.rfind("AT_DisableTrig", 0) == 0 ||
        sub == "AT_EnableAlwaysTrig" || sub == "AT_EnableReplicaTrig") {
        return L::share_row_exclusive;
    }
    if (sub == "AT_AddConstraint" && def.contains("Constraint")) {
        const ParseTree& con = def["Constraint"];
        const std::string type = con.value("contype", "");
        const bool validated = !con.value("skip_validation", false);
        if (type == "CONSTR_FOREIGN") {
            add_fk_target(p, def);
            p.scans = p.scans || validated;
            return L::share_row_exclusive;
        }
        p.scans = p.scans || (type == "CONSTR_CHECK" && validated) || type == "CONSTR_PRIMARY" ||
                  type == "CONSTR_UNIQUE";
    }
    if (sub == "AT_AddColumn" && def.contains("ColumnDef")) {
        add_fk_targets(p, member_list(def["ColumnDef"], "constraints"));
    }
    if (sub == "AT_AlterColumnType" || sub == "AT_SetLogged" || sub == "AT_SetUnLogged" ||
        sub == "AT_SetTableSpace" || sub == "AT_SetAccessMethod") {
        p.rewrites = true;
    }
    if (sub == "AT_SetNotNull") {
        p.scans = true;
    }
    return L::access_exclusive;
}

// VACUUM FULL or VACUUM (FULL), but not VACUUM (FULL false).
bool vacuum_full(const ParseTree& vacuum_body) {
    bool full = false;
    for (const auto& o : member_list(vacuum_body, "options")) {
        const ParseTree& e = member(o, "DefElem");
        if (e.value("defname", "") != "full") {
            continue;
        }
        full = true;
        if (e.contains("arg")) {
            const ParseTree& arg = e["arg"];
            std::string v = string_value(arg);
            if (v == "false" || v == "off" || v == "no" || v == "0" ||
                (arg.contains("Integer") && arg["Integer"].value("ival", 0) == 0)) {
                full = false;
            }
        }
    }
    return full;
}

void relations_of(LockPrediction& p, const ParseTree& list, L level) {
    for (const auto& item : list) {
        if (item.contains("RangeVar")) {
            add(p, qualified_name(item["RangeVar"]), level);
        } else if (item.contains("VacuumRelation")) {
            add(p, qualified_name(member(item["VacuumRelation"], "relation")), level);
        }
    }
}

// One function per statement kind: what the statement with this body locks.

void drop_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    const std::string type = b.value("removeType", "");
    const bool concurrent = b.value("concurrent", false);
    const L level = concurrent ? L::share_update_exclusive : L::access_exclusive;
    const ParseTree& objects = member_list(b, "objects");
    if (type == "OBJECT_TABLE" || type == "OBJECT_MATVIEW" || type == "OBJECT_VIEW" ||
        type == "OBJECT_FOREIGN_TABLE") {
        p.summary = type == "OBJECT_TABLE"  ? "DROP TABLE"
                    : type == "OBJECT_VIEW" ? "DROP VIEW"
                                            : "DROP";
        for (const auto& o : objects) {
            add(p, drop_object_name(o), level);
        }
    } else if (type == "OBJECT_INDEX") {
        p.summary = "DROP INDEX";
        for (const auto& o : objects) {
            // ACCESS EXCLUSIVE on the index's table, whose name the statement does not give.
            add(p, drop_object_name(o), level, "", false);
        }
    } else if (type == "OBJECT_TRIGGER" || type == "OBJECT_RULE" || type == "OBJECT_POLICY") {
        p.summary = type == "OBJECT_TRIGGER" ? "DROP TRIGGER"
                    : type == "OBJECT_RULE"  ? "DROP RULE"
                                             : "DROP POLICY";
        for (const auto& o : objects) {
            add(p, drop_object_name(o, 1), level);
        }
    } else {
        p.level = std::max(p.level, level);  // a function, type, schema ...: not a relation
    }
    if (!p.summary.empty() && p.relations.size() == 1) {
        p.summary += " " + p.relations[0].relation;
    }
}

void create_stmt(LockPrediction& p, const ParseTree& b, int) {
    // A new table locks nothing others use, except the tables its foreign keys
    // reference and the parent it is a partition of.
    p.is_ddl = true;
    const std::string created = qualified_name(member(b, "relation"));
    p.summary = "CREATE TABLE " + created;
    for (const auto& elt : member_list(b, "tableElts")) {
        if (elt.contains("Constraint")) {
            add_fk_target(p, elt);
        } else if (elt.contains("ColumnDef")) {
            add_fk_targets(p, member_list(elt["ColumnDef"], "constraints"));
        }
    }
    if (b.contains("partbound")) {
        for (const auto& parent : member_list(b, "inhRelations")) {
            add(p, qualified_name(member(parent, "RangeVar")), L::access_exclusive,
                "the partitioned parent");
        }
    }
    // A foreign key to the table itself locks nothing that exists yet.
    p.relations.erase(std::remove_if(p.relations.begin(), p.relations.end(),
                                     [&](const RelationLock& r) { return r.relation == created; }),
                      p.relations.end());
}

void alter_table_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    const std::string table = qualified_name(member(b, "relation"));
    p.summary = "ALTER TABLE " + table;
    L level = L::none;
    LockPrediction others;
    for (const ParseTree* cmd : alter_commands(b)) {
        level = std::max(level, alter_command(others, *cmd));
    }
    add(p, table, level);
    for (const auto& r : others.relations) {
        add(p, r.relation, r.level, r.note, r.exemptable);
    }
    p.rewrites = others.rewrites;
    p.scans = others.scans;
}

void index_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    const std::string table = qualified_name(member(b, "relation"));
    p.summary = "CREATE INDEX on " + table;
    add(p, table, b.value("concurrent", false) ? L::share_update_exclusive : L::share);
}

void truncate_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    p.summary = "TRUNCATE";
    relations_of(p, member_list(b, "relations"), L::access_exclusive);
}

void rename_stmt(LockPrediction& p, const ParseTree& b, int pg_version) {
    p.is_ddl = true;
    L level = L::access_exclusive;
    if (b.value("renameType", "") == "OBJECT_INDEX" && pg_version >= 120000) {
        level = L::share_update_exclusive;  // ALTER INDEX ... RENAME from PostgreSQL 12
    }
    if (b.contains("relation")) {
        const std::string relation = qualified_name(b["relation"]);
        p.summary = "RENAME on " + relation;
        add(p, relation, level);
    } else {
        p.level = level;
    }
}

void dml_stmt(LockPrediction& p, const ParseTree& b, int) {
    add(p, qualified_name(member(b, "relation")), L::row_exclusive);
}

void vacuum_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = b.value("is_vacuumcmd", false);
    const bool full = p.is_ddl && vacuum_full(b);
    p.rewrites = full;
    if (full) {
        p.summary = "VACUUM FULL";
    }
    const L level = full ? L::access_exclusive : L::share_update_exclusive;
    p.level = level;  // also without named tables: VACUUM covers every table
    relations_of(p, member_list(b, "rels"), level);
}

void cluster_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    p.rewrites = true;
    p.summary = "CLUSTER";
    p.level = L::access_exclusive;
    if (b.contains("relation")) {
        const std::string table = qualified_name(b["relation"]);
        p.summary += " " + table;
        add(p, table, L::access_exclusive);
    }
}

void refresh_matview_stmt(LockPrediction& p, const ParseTree& b, int) {
    const bool concurrent = b.value("concurrent", false);
    const std::string view = qualified_name(member(b, "relation"));
    p.rewrites = !concurrent;
    p.summary = "REFRESH MATERIALIZED VIEW " + view;
    add(p, view, concurrent ? L::exclusive : L::access_exclusive);
}

void lock_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.summary = "LOCK TABLE";
    relations_of(p, member_list(b, "relations"), lock_mode_number(b.value("mode", 8)));
}

void create_trigger_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    const std::string table = qualified_name(member(b, "relation"));
    p.summary = "CREATE TRIGGER " + b.value("trigname", "") + " ON " + table;
    add(p, table, L::share_row_exclusive);
}

void reindex_stmt(LockPrediction& p, const ParseTree& b, int) {
    p.is_ddl = true;
    const bool concurrent = has_option(member_list(b, "params"), "concurrently");
    const L level = concurrent ? L::share_update_exclusive : L::share;
    const std::string what = b.value("kind", "");
    if (b.contains("relation") &&
        (what == "REINDEX_OBJECT_TABLE" || what == "REINDEX_OBJECT_INDEX")) {
        const std::string relation = qualified_name(b["relation"]);
        p.summary = "REINDEX " + relation;
        if (what == "REINDEX_OBJECT_INDEX") {
            add(p, relation, level, "and ACCESS EXCLUSIVE on the index itself", false);
        } else {
            add(p, relation, level);
        }
    } else {
        p.level = level;
    }
}

void select_stmt(LockPrediction& p, const ParseTree&, int) {
    p.level = L::access_share;
}

// SET, SHOW and transaction control lock nothing and change no schema.
void no_lock(LockPrediction&, const ParseTree&, int) {}

using Predictor = void (*)(LockPrediction& p, const ParseTree& body, int pg_version);

struct KindPredictor {
    std::string_view kind;  // libpg_query's statement key
    Predictor predict;
};

// Statement kinds with a prediction of their own; any other kind is a catalog
// change (predict_lock).
constexpr KindPredictor k_predictors[] = {
    {"AlterTableStmt", alter_table_stmt},
    {"IndexStmt", index_stmt},
    {"DropStmt", drop_stmt},
    {"TruncateStmt", truncate_stmt},
    {"RenameStmt", rename_stmt},
    {"InsertStmt", dml_stmt},
    {"UpdateStmt", dml_stmt},
    {"DeleteStmt", dml_stmt},
    {"MergeStmt", dml_stmt},
    {"VacuumStmt", vacuum_stmt},
    {"ClusterStmt", cluster_stmt},
    {"RefreshMatViewStmt", refresh_matview_stmt},
    {"LockStmt", lock_stmt},
    {"CreateTrigStmt", create_trigger_stmt},
    {"ReindexStmt", reindex_stmt},
    {"CreateStmt", create_stmt},
    {"SelectStmt", select_stmt},
    {"VariableSetStmt", no_lock},
    {"TransactionStmt", no_lock},
    {"VariableShowStmt", no_lock},
};

}  // namespace

std::vector<std::string> LockPrediction::tables() const {
    std::vector<std::string> out;
    out.reserve(relations.size());
    for (const auto& r : relations) {
        out.push_back(r.relation);
    }
    return out;
}

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

LockPrediction predict_lock(const std::string& kind, const ParseTree& b, int pg_version) {
    LockPrediction p;
    for (const auto& [name, predict] : k_predictors) {
        if (kind == name) {
            predict(p, b, pg_version);
            return p;
        }
    }
    // CREATE FUNCTION/VIEW/TYPE/SEQUENCE, COMMENT, GRANT ...: catalog changes.
    p.is_ddl = true;
    return p;
}

}  // namespace sm::planner
