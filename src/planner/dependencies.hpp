#pragma once
// Dependencies between migrations (-- safe-migrate: requires=A,B) and the
// objects a migration creates and touches, for execute's step choice and
// rollback's refusals.
//
// A requirement names a migration of the project:
//   - its id, as status shows it ("3_create_orders"), or
//   - its version in the layout's own terms: digits separated by '.' or '_'
//     (flyway's V1_2__x is "1.2", "1_2" or "V1_2"); '-' is ignored, so a
//     diesel directory 2024-01-31-120000_x is "2024-01-31-120000" or
//     "20240131120000".

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/migration_source.hpp"
#include "core/script.hpp"

namespace sm::planner {

class Dependencies {
  public:
    // Resolves every migration's requires= against set. Appends a problem
    // (the file and the directive's line) per requirement that names no
    // migration or the migration itself, and one per cycle naming its files
    // in order ("cycle: a.up.sql requires b.up.sql requires a.up.sql").
    static Dependencies build(const core::MigrationSet& set,
                              std::vector<core::SourceProblem>& problems);

    // What version requires, in the order written; empty when nothing.
    const std::vector<core::Version>& required_by(const core::Version& version) const;

    // The migrations that require version, in version order.
    std::vector<core::Version> requirers_of(const core::Version& version) const;

    bool empty() const { return m_required.empty(); }

  private:
    std::map<core::Version, std::vector<core::Version>> m_required;
};

// The migration text names in set (see above), or nullptr.
const core::Migration* find_requirement(const core::MigrationSet& set, const std::string& text);

// Why the migrations of a run cannot run in this order: for each step (in
// order), each requirement neither in applied nor an earlier step, as
// "<step id> requires <id>, which is neither applied nor applied earlier in
// this run". Empty when every requirement is met.
std::vector<std::string> unmet_requirements(const core::MigrationSet& set,
                                            const Dependencies& dependencies,
                                            const std::vector<core::Version>& applied,
                                            const std::vector<core::Version>& steps);

// The relations a migration's up file creates (tables, views, materialized
// views, named indexes: "public.orders"), read with the parser; not those it
// drops again.
std::vector<std::string> created_relations(const core::MigrationFile& up);

// Of names, those script touches: locks (core::Script::tables), creates or
// drops; each once, in the order of names.
std::vector<std::string> touched_relations(const core::MigrationFile& up,
                                           const core::Script& script,
                                           const std::vector<std::string>& names);

}  // namespace sm::planner
