#pragma once
// Seed files on disk: SQL that fills a database with data, per environment.
//
//   <seeds dir>/<order>_<name>.sql                 environments named by a directive
//   <seeds dir>/<environment>/<order>_<name>.sql   belongs to <environment>
//   ...<order>_<name>.rollback.sql                 optional, undoes the seed
//
// The seeds directory is [seed] dir, else <migrations_dir>/seeds (migration
// discovery ignores subdirectories). A seed's id is its file stem
// ("010_users"); ids are unique across the directory. Header directives, SQL
// comments before the first statement:
//
//   -- safe-migrate: environments=development,test   where it belongs (replaces
//                                                    the directory's name)
//   -- safe-migrate: requires=010_users,020_catalog  seeds that must run first
//   -- safe-migrate: rerunnable                      run again when the file changes
//   -- safe-migrate: protected-ok                    may run on a protected environment
//
// Every file is parsed with PostgreSQL's parser; a seed runs in one transaction,
// so statements that cannot (CREATE INDEX CONCURRENTLY, VACUUM, BEGIN/COMMIT)
// are errors.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/migration_source.hpp"
#include "core/script.hpp"

namespace sm::seed {

struct Requirement {
    std::string id;
    int line = 0;  // of the requires= directive
};

struct Seed {
    std::string id;  // "010_users"
    long long order = 0;
    std::filesystem::path path;
    std::string checksum;  // core::migration_checksum of the file
    std::vector<std::string> environments;
    std::vector<Requirement> requires_;
    bool rerunnable = false;
    bool protected_ok = false;
    core::Script script;
    std::optional<std::filesystem::path> rollback_path;
    std::optional<core::Script> rollback;

    bool belongs_to(const std::string& environment) const;
};

struct SeedSet {
    std::filesystem::path dir;
    std::vector<Seed> seeds;  // by (order, id)

    const Seed* find(const std::string& id) const;
};

// The seeds directory of a project: [seed] dir, else <migrations_dir>/seeds.
std::filesystem::path seeds_dir(const core::Config& config);

// Reads every seed of dir (a missing directory is an empty set), checking
// names, duplicate ids, rollback files without a seed, directives and SQL.
// Appends problems (file and line) instead of throwing.
SeedSet load_seeds(const std::filesystem::path& dir, std::vector<core::SourceProblem>& problems);

// Like the above, but throws sm::Error (invalid_input) listing every problem.
SeedSet load_seeds(const std::filesystem::path& dir);

}  // namespace sm::seed
