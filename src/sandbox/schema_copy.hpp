#pragma once
// Copies a target's schema (no data) into a database of a sandbox cluster, for
// plan --trace: pg_dump --schema-only from the target, loaded with psql.

#include <string>

#include "sandbox/cluster.hpp"

namespace sm::sandbox {

// Creates dbname in the cluster and loads the schema of the database at
// target_conninfo into it. The target's password reaches pg_dump through the
// environment, never argv. Throws sm::Error naming the failing program, its
// exit status and the redacted tail of its stderr.
void copy_schema(const std::string& target_conninfo, const ClusterState& cluster,
                 const std::string& dbname);

}  // namespace sm::sandbox
