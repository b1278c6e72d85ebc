// The real dbmate (the npm package pinned in tests/dbmate, dbmate's own Go
// binary) applies the first two migrations of the dbmate fixture project on
// the sandbox; then safe-migrate takes the database over as a team switching
// would: execute stops on "already exists" with the adopt hint, the hinted
// command records dbmate's migrations, and execute applies only the third.
#include <catch2/catch.hpp>

#include "support/fixtures.hpp"
#include "support/npm_tool.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace adopt_dbmate_test {

using namespace sm::test;
namespace fs = std::filesystem;

namespace {

sm::util::ProcessResult dbmate(const fs::path& program, const TestDatabase& db, const fs::path& dir,
                               const std::string& command) {
    sm::util::ProcessSpec spec;
    spec.program = program.string();
    // dbmate's postgres driver (lib/pq) reads the password from the URL.
    spec.args = {"--url",
                 db.url_with_password() + "?sslmode=disable",
                 "--migrations-dir",
                 dir.string(),
                 "--no-dump-schema",
                 command};
    return sm::util::run_process(spec);
}

}  // namespace

TEST_CASE("adopt --from dbmate after the real dbmate applied two migrations") {
    fs::path program = installed_npm_tool(SM_DBMATE_DIR, SM_DBMATE_NODE_DIR, "dbmate");
    TestDatabase db;
    sm::util::TempDir work("sm-dbmate");
    fs::path dir = work.path() / "migrations";
    fs::create_directories(dir);
    for (const char* name :
         {"20240101090000_create_users.sql", "20240102090000_index_users_email.sql"}) {
        fs::copy_file(layouts_dir() / "dbmate" / name, dir / name);
    }
    auto up = dbmate(program, db, dir, "up");
    INFO(up.out + up.err);
    REQUIRE(up.ok());
    REQUIRE(db.scalar("SELECT string_agg(version, ',' ORDER BY version) FROM "
                      "public.schema_migrations") == "20240101090000,20240102090000");
    fs::copy_file(layouts_dir() / "dbmate" / "20240103090000_create_posts.sql",
                  dir / "20240103090000_create_posts.sql");
    auto sm_args = [&](std::vector<std::string> rest) {
        std::vector<std::string> all = {"--migrations-dir", dir.string(), "--database-url",
                                        db.url()};
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    };

    // Without adopt, execute stops on the first migration: its table exists.
    auto blind = run_tool(sm_args({"--layout", "dbmate", "execute"}));
    INFO(blind.all());
    CHECK(blind.exit_code == 1);
    std::string hint = blind.err.substr(blind.err.find("hint: "));
    auto hinted = hinted_args(hint.substr(0, hint.find('\n')));
    REQUIRE(hinted == std::vector<std::string>{"adopt", "--from", "dbmate"});

    auto adopted = run_tool(sm_args(hinted));
    INFO(adopted.all());
    REQUIRE(adopted.exit_code == 0);
    auto status = run_tool(sm_args({"--layout", "dbmate", "status"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find("2 applied, 1 pending") != std::string::npos);

    auto run = run_tool(sm_args({"--layout", "dbmate", "execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "20240101090000,20240102090000,20240103090000");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'adopt'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'posts'") == "1");
    // dbmate's own table is as dbmate left it: it sees the third as pending.
    CHECK(db.scalar("SELECT count(*) FROM public.schema_migrations") == "2");
    auto dbmate_status = dbmate(program, db, dir, "status");
    INFO(dbmate_status.out + dbmate_status.err);
    CHECK(dbmate_status.out.find("[ ] 20240103090000_create_posts.sql") != std::string::npos);
}

}  // namespace adopt_dbmate_test
