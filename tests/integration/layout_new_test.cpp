// `new` in each layout against a real PostgreSQL: in a copy of the layout's
// fixture project (tests/fixtures/layouts), `new` writes a migration and a
// no-transaction one as that tool would; filled with SQL, both are read back
// by the same layout's reader: status shows them pending, lint and plan pass,
// execute applies them (the concurrent index outside a transaction, through
// the tool's own marker), and rollback reverts them where the layout has downs.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace layout_new_test {

using namespace sm::test;
namespace fs = std::filesystem;

namespace {

size_t entries(const fs::path& dir) {
    return static_cast<size_t>(
        std::distance(fs::recursive_directory_iterator(dir), fs::recursive_directory_iterator()));
}

// A copy of the layout's fixture project, which new adds to.
struct Project {
    sm::util::TempDir root{"sm-layout-new"};
    fs::path dir;
    std::string tool;

    explicit Project(const std::string& layout) : dir(root.path() / "migrations"), tool(layout) {
        fs::copy(layouts_dir() / layout, dir, fs::copy_options::recursive);
    }

    std::vector<std::string> args(const TestDatabase& db, std::vector<std::string> rest) const {
        std::vector<std::string> all = {"--migrations-dir", dir.string(), "--layout", tool,
                                        "--database-url",   db.url()};
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    }
};

// Inserts up before the file's down marker (a sectioned file), or appends it.
void fill(const fs::path& file, const std::string& up, const std::string& down) {
    std::string name = file.filename().string();
    std::string text = sm::util::read_file(file);
    if (file.extension() != ".sql") {
        return;  // flyway's .conf, diesel's metadata.toml
    }
    bool is_down =
        name == "down.sql" || name[0] == 'U' || name.find(".down.sql") != std::string::npos;
    size_t marker = std::string::npos;
    for (const char* m : {"-- migrate:down", "-- +goose Down"}) {
        marker = std::min(marker, text.find(m));
    }
    if (marker != std::string::npos) {
        text = text.substr(0, marker) + up + "\n" + text.substr(marker) + down + "\n";
    } else {
        text += (is_down ? down : up) + "\n";
    }
    sm::util::write_file_atomic(file, text);
}

// Runs new through the tool and returns the files it created.
std::vector<fs::path> run_new(const Project& p, const TestDatabase& db,
                              std::vector<std::string> args) {
    args.insert(args.begin(), "new");
    args.emplace_back("--format");
    args.emplace_back("json");
    auto made = run_tool(p.args(db, args));
    INFO(made.all());
    REQUIRE(made.exit_code == 0);
    std::vector<fs::path> files;
    auto document = nlohmann::json::parse(made.out);
    for (const auto& f : document["created"]) {
        files.emplace_back(f.get<std::string>());
    }
    return files;
}

void new_then_run(const std::string& tool, bool has_down) {
    INFO(tool);
    TestDatabase db;
    Project p(tool);
    for (const auto& f : run_new(p, db, {"add_orders"})) {
        fill(f, "CREATE TABLE orders (id bigint);", "DROP TABLE orders;");
    }
    for (const auto& f : run_new(p, db, {"index_orders", "--no-transaction"})) {
        fill(f, "CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);",
             "DROP INDEX CONCURRENTLY orders_id_idx;");
    }

    auto status = run_tool(p.args(db, {"status"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find("0 applied, 5 pending") != std::string::npos);
    CHECK(status.out.find("add_orders") != std::string::npos);
    CHECK(status.out.find("index_orders") != std::string::npos);

    auto lint = run_tool(p.args(db, {"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
    CHECK(lint.out.find("5 file(s)") != std::string::npos);
    auto plan = run_tool(p.args(db, {"plan"}));
    INFO(plan.all());
    CHECK(plan.exit_code == 0);

    auto run = run_tool(p.args(db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('orders', "
                    "'orders_id_idx')") == "2");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "5");

    auto back = run_tool(p.args(db, {"rollback", "--steps", "2"}));
    INFO(back.all());
    if (!has_down) {
        CHECK(back.exit_code == 3);
        CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'orders'") == "1");
        return;
    }
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'orders'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
}

}  // namespace

TEST_CASE("new in the flyway layout: V4 and U4 files, then V5 with its .conf") {
    new_then_run("flyway", true);
}

TEST_CASE("new in the dbmate layout: sections read back, applied and rolled back") {
    new_then_run("dbmate", true);
}

TEST_CASE("new in the golang-migrate layout: the next sequence number, applied and rolled back") {
    new_then_run("golang-migrate", true);
}

TEST_CASE("new in the goose layout: annotations read back, applied and rolled back") {
    new_then_run("goose", true);
}

TEST_CASE("new in the diesel layout: a directory with metadata.toml, applied and rolled back") {
    new_then_run("diesel", true);
}

TEST_CASE("new in the prisma layout: applied, and no down to roll back") {
    new_then_run("prisma", false);
}

TEST_CASE("new in the native layout: applied and rolled back") {
    new_then_run("native", true);
}

TEST_CASE("new with the layout unset in another tool's directory is exit 3, writing nothing") {
    Project p("dbmate");
    size_t before = entries(p.dir);
    auto run = run_tool({"--migrations-dir", p.dir.string(), "new", "add_orders"});
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("looks like a dbmate project") != std::string::npos);
    CHECK(run.err.find("pass --layout dbmate before the command") != std::string::npos);
    CHECK(entries(p.dir) == before);
}

}  // namespace layout_new_test
