#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/identity.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

namespace sm::test {

const sandbox::ClusterState& cluster() {
    static const std::optional<sandbox::ClusterState> state = sandbox::load_state(SM_TEST_STATE);
    if (!state) {
        FAIL("the test cluster is not running (no " SM_TEST_STATE
             "); run the suite with ctest, which "
             "starts it, or: safe-migrate sandbox start --state " SM_TEST_STATE);
    }
    return *state;
}

TestDatabase::TestDatabase() : m_name("sm_test_" + core::random_hex(6)) {
    m_session = db::connect(cluster().url("postgres"), "sm-test-admin");
    // FILE_COPY: copying template1's few files is cheaper here than WAL_LOG (PostgreSQL
    // 15's default), which writes every page of it to the WAL (0.15 s instead of 0.2 s
    // per test database, with four tests at once on 2 cores).
    m_session->exec("CREATE DATABASE " + m_name + " STRATEGY FILE_COPY");
}

TestDatabase::~TestDatabase() {
    m_own.reset();
    try {
        // The database, and any a restore left beside it (<name>_pre_restore_...).
        auto r = m_session->exec_params(
            "SELECT quote_ident(datname) FROM pg_database WHERE left(datname, length($1)) = $1",
            {m_name});
        for (const auto& row : r.rows) {
            m_session->exec("DROP DATABASE IF EXISTS " + row[0].value_or("") + " WITH (FORCE)");
        }
    } catch (...) {
    }
}

void TestDatabase::disconnect() const {
    m_own.reset();
}

std::string TestDatabase::url() const {
    return cluster().url(m_name);
}

std::string TestDatabase::url_with_password() const {
    const auto& c = cluster();
    return "postgresql://" + c.superuser + ":" + sandbox::read_password(c) +
           "@127.0.0.1:" + std::to_string(c.port) + "/" + m_name;
}

std::unique_ptr<db::Session> TestDatabase::connect(const std::string& application_name) const {
    return db::connect(url(), application_name);
}

db::QueryResult TestDatabase::query(const std::string& sql) const {
    if (!m_own) {
        m_own = connect();
    }
    return m_own->exec(sql);
}

std::string TestDatabase::scalar(const std::string& sql) const {
    auto r = query(sql);
    return r.empty() ? "" : r.scalar().value_or("");
}

std::string TestDatabase::schema_dump() const {
    util::ProcessSpec spec;
    spec.program = (cluster().bindir / "pg_dump").string();
    spec.args = {
        "--schema-only", "--no-owner", "--restrict-key=safemigratetest", "-N", "safe_migrate",
        "--dbname",      url()};
    auto result = util::run_process(spec);
    util::require_success(spec, result);
    return result.out;
}

MigrationDir::MigrationDir()
    : m_path(util::make_unique_dir(std::filesystem::temp_directory_path(), "sm-test-migrations")) {}

MigrationDir::~MigrationDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

void MigrationDir::write(const std::string& file_name, const std::string& content) const {
    std::ofstream out(m_path / file_name, std::ios::binary | std::ios::trunc);
    out << content;
}

void MigrationDir::remove(const std::string& file_name) const {
    std::filesystem::remove(m_path / file_name);
}

void MigrationDir::copy_example() const {
    for (const auto& entry : std::filesystem::directory_iterator(SM_EXAMPLE_MIGRATIONS)) {
        if (entry.path().extension() == ".sql") {
            std::filesystem::copy_file(entry.path(), m_path / entry.path().filename());
        }
    }
}

}  // namespace sm::test
