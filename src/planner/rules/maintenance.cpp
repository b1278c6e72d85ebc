// Rule family "maintenance": partition attach/detach, table-rewriting
// maintenance commands, materialized view refreshes, explicit locks and
// trigger DDL.

#include <string>
#include <vector>

#include "planner/lock_model.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_support.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// The name of a DefElem option that is switched on: "full" in VACUUM FULL or
// VACUUM (FULL), but not VACUUM (FULL false).
bool option_on(const ParseTree& list, const std::string& name) {
    if (!list.is_array()) {
        return false;
    }
    for (const auto& item : list) {
        if (!item.contains("DefElem") || item["DefElem"].value("defname", "") != name) {
            continue;
        }
        const ParseTree& elem = item["DefElem"];
        if (!elem.contains("arg")) {
            return true;
        }
        const ParseTree& arg = elem["arg"];
        if (arg.contains("Integer")) {
            return arg["Integer"].value("ival", 0) != 0;
        }
        if (arg.contains("Boolean")) {
            return arg["Boolean"].value("boolval", false);
        }
        std::string v = string_value(arg);
        return !(v == "false" || v == "off" || v == "no" || v == "0");
    }
    return false;
}

const char* object_word(const std::string& objtype) {
    if (objtype == "OBJECT_MATVIEW") {
        return "ALTER MATERIALIZED VIEW";
    }
    if (objtype == "OBJECT_INDEX") {
        return "ALTER INDEX";
    }
    if (objtype == "OBJECT_FOREIGN_TABLE") {
        return "ALTER FOREIGN TABLE";
    }
    if (objtype == "OBJECT_SEQUENCE") {
        return "ALTER SEQUENCE";
    }
    return "ALTER TABLE";
}

// The major number only ("9" for a 9.6 target, where pg_version_text says "9.6").
std::string version_text(int pg_version) {
    return std::to_string(pg_version / 10000);
}

std::string lock_mode_blocks(int mode, const std::string& table) {
    if (mode >= 8) {
        return "blocks every query on " + table + ", plain SELECT included,";
    }
    return "blocks all writes to " + table;
}

void check_partition_cmd(const ParseTree& body, const ParseTree& cmd, const FileState& f,
                         Emitter& out) {
    const std::string subtype = cmd.value("subtype", "");
    const ParseTree& relation = member(body, "relation");
    const ParseTree& pcmd = member(member(cmd, "def"), "PartitionCmd");
    const ParseTree& part_rv = member(pcmd, "name");
    const std::string parent = qualified_name(relation);
    const std::string part = qualified_name(part_rv);

    if (subtype == "AT_DetachPartition" && !pcmd.value("concurrent", false)) {
        EmitExtras x;
        x.tables = {parent, part};
        x.exempt_if_new = parent;
        std::string msg = "ALTER TABLE " + parent + " DETACH PARTITION " + part +
                          " takes ACCESS EXCLUSIVE on " + parent + " and " + part +
                          ", blocking all reads and writes on the parent";
        if (f.pg_version >= 140000) {
            x.rewrite = "ALTER TABLE " + relation_sql(relation, core::Keywords::quoted) +
                        " DETACH PARTITION " + relation_sql(part_rv, core::Keywords::quoted) +
                        " CONCURRENTLY;  -- in a no-transaction migration; fails if there is a "
                        "default partition";
            msg += "; use DETACH PARTITION ... CONCURRENTLY, which lets reads and writes go on";
        } else {
            msg += "; DETACH PARTITION ... CONCURRENTLY needs PostgreSQL 14 (target is " +
                   version_text(f.pg_version) + "), so keep it brief under lock_timeout";
        }
        out.emit("require-concurrent-partition-detach", msg, x);
    } else if (subtype == "AT_AttachPartition") {
        EmitExtras x;
        x.tables = {parent, part};
        // A partition created in this plan is empty: the scan is free.
        x.exempt_if_new = part;
        out.emit(
            "attach-partition-without-check",
            "ALTER TABLE " + parent + " ATTACH PARTITION " + part + " scans " + part +
                " under ACCESS EXCLUSIVE (and any default partition of " + parent +
                ") unless a validated CHECK constraint matching the partition bound already exists",
            x);
    }
}

void check_maintenance_in_alter_table(const StatementRef& s, const FileState& f, Emitter& out) {
    const ParseTree& relation = member(s.body, "relation");
    const std::string table = qualified_name(relation);
    const std::string objtype = s.body.value("objtype", "OBJECT_TABLE");
    const std::string verb = object_word(objtype);

    for (const ParseTree* cmd_ptr : alter_commands(s.body)) {
        const ParseTree& cmd = *cmd_ptr;
        const std::string subtype = cmd.value("subtype", "");
        if (subtype == "AT_DetachPartition" || subtype == "AT_AttachPartition") {
            check_partition_cmd(s.body, cmd, f, out);
            continue;
        }

        std::string rewrite_what;
        if (subtype == "AT_SetLogged") {
            rewrite_what = "SET LOGGED";
        } else if (subtype == "AT_SetUnLogged") {
            rewrite_what = "SET UNLOGGED";
        } else if (subtype == "AT_SetTableSpace") {
            rewrite_what = "SET TABLESPACE " +
                           core::quote_ident(cmd.value("name", ""), core::Keywords::quoted);
        } else if (subtype == "AT_SetAccessMethod") {
            rewrite_what = "SET ACCESS METHOD " +
                           core::quote_ident(cmd.value("name", ""), core::Keywords::quoted);
        }
        if (!rewrite_what.empty()) {
            EmitExtras x = about_table(table);
            std::string what = objtype == "OBJECT_INDEX" ? "rewrites the index " + table
                                                         : "rewrites " + table + " and its indexes";
            out.emit(
                "table-rewrite-maintenance",
                util::join({verb, table, rewrite_what, what}, " ") +
                    " under ACCESS EXCLUSIVE, blocking all reads and writes for the whole copy",
                x);
            continue;
        }

        std::string trig;
        if (subtype == "AT_EnableTrig") {
            trig = "ENABLE TRIGGER " + cmd.value("name", "");
        } else if (subtype == "AT_EnableAlwaysTrig") {
            trig = "ENABLE ALWAYS TRIGGER " + cmd.value("name", "");
        } else if (subtype == "AT_EnableReplicaTrig") {
            trig = "ENABLE REPLICA TRIGGER " + cmd.value("name", "");
        } else if (subtype == "AT_EnableTrigAll") {
            trig = "ENABLE TRIGGER ALL";
        } else if (subtype == "AT_EnableTrigUser") {
            trig = "ENABLE TRIGGER USER";
        } else if (subtype == "AT_DisableTrig") {
            trig = "DISABLE TRIGGER " + cmd.value("name", "");
        } else if (subtype == "AT_DisableTrigAll") {
            trig = "DISABLE TRIGGER ALL";
        } else if (subtype == "AT_DisableTrigUser") {
            trig = "DISABLE TRIGGER USER";
        }
        if (!trig.empty()) {
            EmitExtras x = about_table(table);
            x.lock = LockLevel::share_row_exclusive;
            out.emit("explicit-lock-or-trigger-ddl",
                     util::join({verb, table, trig}, " ") + " takes SHARE ROW EXCLUSIVE on " +
                         table + " (blocks all writes) until the transaction ends",
                     x);
        }
    }
}

void check_vacuum(const StatementRef& s, Emitter& out) {
    if (!s.body.value("is_vacuumcmd", false) ||
        !option_on(member_list(s.body, "options"), "full")) {
        return;
    }
    const ParseTree& rels = member_list(s.body, "rels");
    if (!rels.is_array() || rels.empty()) {
        out.emit("table-rewrite-maintenance",
                 "VACUUM FULL without a table list rewrites every table in the database, each "
                 "under ACCESS "
                 "EXCLUSIVE");
        return;
    }
    for (const auto& rel : rels) {
        const ParseTree& rv = member(member(rel, "VacuumRelation"), "relation");
        const std::string table = qualified_name(rv);
        EmitExtras x;
        x.tables = {table};
        std::string message = "VACUUM FULL " + table;
        message += " rewrites " + table +
                   " and its indexes under ACCESS EXCLUSIVE, blocking all reads and writes for "
                   "the whole copy";
        out.emit("table-rewrite-maintenance", std::move(message), x);
    }
}

void check_cluster(const StatementRef& s, Emitter& out) {
    if (!s.body.contains("relation")) {
        out.emit("table-rewrite-maintenance",
                 "CLUSTER without a table rewrites every previously clustered table in the "
                 "database, each under "
                 "ACCESS EXCLUSIVE");
        return;
    }
    const std::string table = qualified_name(s.body["relation"]);
    const std::string index = s.body.value("indexname", "");
    EmitExtras x;
    x.tables = {table};
    out.emit("table-rewrite-maintenance",
             "CLUSTER " + table + (index.empty() ? "" : " USING " + index) + " rewrites " + table +
                 " and its indexes under ACCESS EXCLUSIVE, blocking all reads and writes for the "
                 "whole copy",
             x);
}

void check_refresh(const StatementRef& s, Emitter& out) {
    if (s.body.value("concurrent", false)) {
        return;
    }
    const ParseTree& rv = member(s.body, "relation");
    const std::string view = qualified_name(rv);
    EmitExtras x = about_table(view);
    if (s.body.value("skipData", false)) {
        out.emit("refresh-matview-concurrently",
                 "REFRESH MATERIALIZED VIEW " + view + " WITH NO DATA takes ACCESS EXCLUSIVE on " +
                     view + " and leaves it unreadable until the next full refresh",
                 x);
        return;
    }
    x.rewrite = "REFRESH MATERIALIZED VIEW CONCURRENTLY " +
                relation_sql(rv, core::Keywords::quoted) +
                ";  -- needs a unique index on the view covering all rows";
    out.emit("refresh-matview-concurrently",
             "REFRESH MATERIALIZED VIEW " + view + " takes ACCESS EXCLUSIVE on " + view +
                 ", blocking every read of it while the query reruns",
             x);
}

void check_lock(const StatementRef& s, Emitter& out) {
    const int mode = s.body.value("mode", 8);
    // ACCESS SHARE .. SHARE UPDATE EXCLUSIVE block neither reads nor writes.
    if (mode < 5) {
        return;
    }
    const ParseTree& rels = member_list(s.body, "relations");
    if (!rels.is_array()) {
        return;
    }
    for (const auto& rel : rels) {
        const std::string table = qualified_name(member(rel, "RangeVar"));
        EmitExtras x = about_table(table);
        x.lock = lock_mode_number(mode);
        out.emit("explicit-lock-or-trigger-ddl",
                 std::string("LOCK TABLE ") + table + " IN " + lock_name(lock_mode_number(mode)) +
                     " MODE " + lock_mode_blocks(mode, table) + " until the transaction ends",
                 x);
    }
}

// True when trigger DDL is the expand/contract step it should be: under a
// lock_timeout the file sets itself, and the first statement of its transaction
// to lock a table against writes, so its lock is brief and waits a bounded time.
bool brief_under_lock_timeout(const FileState& f) {
    return f.lock_timeout_ms && *f.lock_timeout_ms > 0 &&
           *f.lock_timeout_ms <= f.max_lock_timeout_ms && f.tx.strong_locked.empty();
}

void check_create_trigger(const StatementRef& s, const FileState& f, Emitter& out) {
    if (brief_under_lock_timeout(f)) {
        return;
    }
    const std::string table = qualified_name(member(s.body, "relation"));
    const std::string name = s.body.value("trigname", "");
    const bool replace = s.body.value("replace", false);
    const bool constraint = s.body.value("isconstraint", false);
    EmitExtras x = about_table(table);
    x.lock = LockLevel::share_row_exclusive;
    std::string verb = std::string("CREATE ") + (replace ? "OR REPLACE " : "") +
                       (constraint ? "CONSTRAINT " : "") + "TRIGGER";
    out.emit("explicit-lock-or-trigger-ddl",
             verb + " " + name + " ON " + table + " takes SHARE ROW EXCLUSIVE on " + table +
                 " (blocks all writes) until the transaction ends",
             x);
}

void check_drop_trigger(const StatementRef& s, const FileState& f, Emitter& out) {
    if (brief_under_lock_timeout(f)) {
        return;
    }
    const ParseTree& objects = member_list(s.body, "objects");
    if (!objects.is_array()) {
        return;
    }
    for (const auto& obj : objects) {
        const ParseTree& items = member_list(member(obj, "List"), "items");
        if (!items.is_array() || items.empty()) {
            continue;
        }
        // [schema,] table, trigger
        const std::string trigger = string_value(items.back());
        const std::string table = drop_object_name(obj, 1);
        EmitExtras x = table.empty() ? EmitExtras{} : about_table(table);
        x.lock = LockLevel::access_exclusive;
        out.emit("explicit-lock-or-trigger-ddl",
                 "DROP TRIGGER " + trigger + (table.empty() ? "" : " ON " + table) +
                     " takes ACCESS EXCLUSIVE on " +
                     (table.empty() ? std::string("its table") : table) +
                     " (blocks everything, plain SELECT included) until the transaction ends",
                 x);
    }
}

}  // namespace

void check_maintenance(const StatementRef& s, const FileState& f, Emitter& out) {
    if (s.kind == "AlterTableStmt") {
        check_maintenance_in_alter_table(s, f, out);
    } else if (s.kind == "VacuumStmt") {
        check_vacuum(s, out);
    } else if (s.kind == "ClusterStmt") {
        check_cluster(s, out);
    } else if (s.kind == "RefreshMatViewStmt") {
        check_refresh(s, out);
    } else if (s.kind == "LockStmt") {
        check_lock(s, out);
    } else if (s.kind == "CreateTrigStmt") {
        check_create_trigger(s, f, out);
    } else if (s.kind == "DropStmt" && s.body.value("removeType", "") == "OBJECT_TRIGGER") {
        check_drop_trigger(s, f, out);
    } else if (s.kind == "AlterTableMoveAllStmt") {
        out.emit("table-rewrite-maintenance",
                 "ALTER ... ALL IN TABLESPACE " + s.body.value("orig_tablespacename", "") +
                     " SET TABLESPACE " + s.body.value("new_tablespacename", "") +
                     " rewrites every matching relation, each under ACCESS EXCLUSIVE");
    }
}

}  // namespace sm::planner
