#include "planner/transaction_mode.hpp"

#include "planner/parse_helpers.hpp"

namespace sm::planner {
namespace {

bool has_concurrently_option(const ParseTree& params) {
    if (!params.is_array()) {
        return false;
    }
    for (const auto& p : params) {
        if (p.contains("DefElem") && p["DefElem"].value("defname", "") == "concurrently") {
            return true;
        }
    }
    return false;
}

bool detaches_concurrently(const ParseTree& body) {
    for (const auto& cmd : member_list(body, "cmds")) {
        const ParseTree& c = member(cmd, "AlterTableCmd");
        if (c.value("subtype", "") == "AT_DetachPartition" &&
            member(member(c, "def"), "PartitionCmd").value("concurrent", false)) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string needs_no_transaction(const std::string& kind, const ParseTree& body) {
    if (kind == "IndexStmt" && body.value("concurrent", false)) {
        return "CREATE INDEX CONCURRENTLY";
    }
    if (kind == "DropStmt" && body.value("concurrent", false)) {
        return "DROP INDEX CONCURRENTLY";
    }
    if (kind == "ReindexStmt") {
        if (has_concurrently_option(member_list(body, "params"))) {
            return "REINDEX CONCURRENTLY";
        }
        const std::string object = body.value("kind", "");
        if (object != "REINDEX_OBJECT_INDEX" && object != "REINDEX_OBJECT_TABLE") {
            return "REINDEX SCHEMA/DATABASE/SYSTEM";
        }
        return "";
    }
    if (kind == "ClusterStmt" && !body.contains("relation")) {
        return "CLUSTER without a table";
    }
    if (kind == "VacuumStmt" && body.value("is_vacuumcmd", false)) {
        return "VACUUM";
    }
    if (kind == "AlterTableStmt" && detaches_concurrently(body)) {
        return "DETACH PARTITION CONCURRENTLY";
    }
    // Statements refused in a transaction whatever their options.
    static const std::pair<const char*, const char*> k_always[] = {
        {"AlterSystemStmt", "ALTER SYSTEM"},
        {"CreatedbStmt", "CREATE DATABASE"},
        {"DropdbStmt", "DROP DATABASE"},
        {"CreateTableSpaceStmt", "CREATE TABLESPACE"},
        {"DropTableSpaceStmt", "DROP TABLESPACE"},
        {"CreateSubscriptionStmt", "CREATE SUBSCRIPTION"},
    };
    for (const auto& [node, why] : k_always) {
        if (kind == node) {
            return why;
        }
    }
    return "";
}

}  // namespace sm::planner
