#pragma once
// The readers behind load_layout (layout.hpp), one per layout that is not
// native. Each appends problems and returns what it could read.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/migration_source.hpp"

namespace sm::core::layouts {

// Migrations by version, with duplicates reported once each.
class Collector {
  public:
    explicit Collector(std::vector<SourceProblem>& problems) : m_problems(problems) {}

    // The version text reads as (version.hpp); a problem naming file when it
    // is not one.
    std::optional<Version> version(const std::string& text, const std::filesystem::path& file);

    // Adds m unless its version is taken (a problem naming file and the other).
    void add(Migration m, const std::filesystem::path& file);

    MigrationSet finish(const std::filesystem::path& dir);

    std::vector<SourceProblem>& problems() { return m_problems; }

  private:
    std::vector<SourceProblem>& m_problems;
    std::map<core::Version, std::pair<Migration, std::filesystem::path>> m_found;
};

// The regular files directly in dir, sorted by name; and the subdirectories.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir);
std::vector<std::filesystem::path> dirs_in(const std::filesystem::path& dir);
// The regular files in dir and its subdirectories, sorted by path.
std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir);

MigrationSet load_dbmate(const std::filesystem::path& dir, std::vector<SourceProblem>& problems);
MigrationSet load_goose(const std::filesystem::path& dir, std::vector<SourceProblem>& problems);
MigrationSet load_flyway(const std::filesystem::path& dir, std::vector<SourceProblem>& problems);
MigrationSet load_diesel(const std::filesystem::path& dir, std::vector<SourceProblem>& problems);
MigrationSet load_prisma(const std::filesystem::path& dir, std::vector<SourceProblem>& problems);

}  // namespace sm::core::layouts
