#include "deploy/about.hpp"

#include "core/identity.hpp"
#include "planner/sql_parser.hpp"

namespace sm::deploy {

std::string version_text() {
    return std::string("safe-migrate ") + core::tool_version() + "\ncommit: " + core::git_commit() +
           "\nlibpq: " + core::libpq_version() + "\nparser: PostgreSQL " +
           planner::grammar_version() + " grammar (libpg_query)" +
           "\nservers: " + core::supported_servers();
}

}  // namespace sm::deploy
