#pragma once
// Integration-test helpers around the suite's sandbox cluster.
//
// ctest starts one sandbox cluster for the whole run (the sandbox_start
// fixture) and every test makes its own database in it, so tests run in
// parallel without seeing each other. With no cluster the tests fail (never
// skip), in CI and out of it.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/session.hpp"
#include "sandbox/cluster.hpp"

namespace sm::test {

// The suite's cluster; fails the test when it is not running.
const sandbox::ClusterState& cluster();

class TestDatabase {
  public:
    TestDatabase();   // CREATE DATABASE with a unique name
    ~TestDatabase();  // DROP DATABASE ... WITH (FORCE), with any <name>_* a restore left
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& name() const { return m_name; }
    std::string url() const;                // passfile URL, no password in it
    std::string url_with_password() const;  // password inline, for secret tests
    std::unique_ptr<db::Session> connect(const std::string& application_name = "sm-test") const;

    // First column of the first row, or "" for NULL / no rows.
    std::string scalar(const std::string& sql) const;
    db::QueryResult query(const std::string& sql) const;
    // Closes the session query() and scalar() use (reopened on the next call),
    // e.g. before a restore that needs the database to itself.
    void disconnect() const;
    // pg_dump --schema-only of everything but the safe_migrate schema.
    std::string schema_dump() const;

  private:
    std::string m_name;
    std::unique_ptr<db::Session> m_session;      // on "postgres": creates and drops the database
    mutable std::unique_ptr<db::Session> m_own;  // on this database, for query() and scalar()
};

// A temporary migrations directory.
class MigrationDir {
  public:
    MigrationDir();
    ~MigrationDir();
    const std::filesystem::path& path() const { return m_path; }
    void write(const std::string& file_name, const std::string& content) const;
    void remove(const std::string& file_name) const;
    // Copies every *.sql file of the example project into this directory.
    void copy_example() const;

  private:
    std::filesystem::path m_path;
};

}  // namespace sm::test
