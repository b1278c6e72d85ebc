#include "sandbox/schema_copy.hpp"

#include "core/conninfo.hpp"
#include "core/sql_quote.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

namespace sm::sandbox {

void copy_schema(const std::string& target_conninfo, const ClusterState& cluster,
                 const std::string& dbname) {
    util::TempDir work("sm-trace-schema");
    std::filesystem::path dump = work.path() / "schema.sql";

    // 1. Dump the target's schema; the password goes through PGPASSWORD.
    core::SplitConninfo target = core::split_password(target_conninfo);
    util::ProcessSpec pg_dump;
    pg_dump.program = (cluster.bindir / "pg_dump").string();
    pg_dump.args = {"--schema-only",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    dump.string(),
                    "--dbname",
                    target.conninfo.empty() ? "postgres" : target.conninfo};
    if (target.conninfo.empty()) {
        pg_dump.args.pop_back();
        pg_dump.args.pop_back();
    }
    if (target.password) {
        pg_dump.env_set["PGPASSWORD"] = *target.password;
    }
    util::require_success(pg_dump, util::run_process(pg_dump));

    // 2. A fresh database in the sandbox, loaded with that schema.
    util::ProcessSpec createdb;
    createdb.program = (cluster.bindir / "psql").string();
    createdb.args = {"-X",       "-q",
                     "-v",       "ON_ERROR_STOP=1",
                     "--dbname", cluster.url("postgres"),
                     "-c",       "CREATE DATABASE " + core::quote_ident(dbname)};
    util::require_success(createdb, util::run_process(createdb));

    util::ProcessSpec load;
    load.program = (cluster.bindir / "psql").string();
    load.args = {"-X", "-q",         "-v", "ON_ERROR_STOP=1", "--dbname", cluster.url(dbname),
                 "-f", dump.string()};
    util::require_success(load, util::run_process(load));
}

}  // namespace sm::sandbox
