#pragma once
// Facts about a target database, as plain data (read by the executor,
// recorded by the planner in plan artifacts).

#include <cstdint>
#include <string>

namespace sm::core {

// Who the target is. Never holds credentials.
struct TargetIdentity {
    std::string host;
    std::string port;
    std::string database;
    std::string system_identifier;  // pg_control_system(): unique per cluster
    int server_version = 0;         // server_version_num, e.g. 150004
};

struct TableSize {
    bool exists = false;
    int64_t rows = 0;   // pg_class.reltuples estimate (0 when never analyzed)
    int64_t bytes = 0;  // pg_total_relation_size: heap, indexes and TOAST
};

}  // namespace sm::core
