#pragma once
// A project directory for tests that run the real binary: its
// safe-migrate.toml, its notification spool, its backups and its migrations,
// in a private temporary directory removed at the end of the test.

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_database.hpp"
#include "util/files.hpp"

namespace sm::test {

class Project {
  public:
    Project();  // an empty migrations directory, no config yet

    const std::filesystem::path& dir() const { return m_dir.path(); }
    std::filesystem::path config() const { return dir() / "safe-migrate.toml"; }
    std::filesystem::path migrations() const { return dir() / "migrations"; }
    std::filesystem::path spool() const { return dir() / "spool" / "notify.jsonl"; }
    std::filesystem::path backups() const { return dir() / "backups"; }

    // Writes safe-migrate.toml with toml as its whole text.
    void write_config(const std::string& toml) const;
    // Writes migrations/<name> with sql.
    void migration(const std::string& name, const std::string& sql) const;

    // [notify] with short bounds so every test stays fast, the spool here, retries
    // as given, then extra (more [notify] keys).
    std::string notify_section(const std::string& extra = "", int retries = 2) const;
    // [backup] with the catalog here.
    std::string backup_section() const;

    // safe-migrate with this project's config and migrations, then more.
    std::vector<std::string> args(std::vector<std::string> more) const;
    // The same against db (--database-url).
    std::vector<std::string> args(const TestDatabase& db, std::vector<std::string> more) const;

  private:
    util::TempDir m_dir;
};

// One [[notify.webhooks]] entry (or an entry of table); extra is more TOML lines.
std::string webhook(const std::string& name, const std::string& kind, const std::string& url,
                    const std::string& extra = "", const std::string& table = "notify.webhooks");

}  // namespace sm::test
