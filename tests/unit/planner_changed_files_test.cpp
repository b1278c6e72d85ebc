// Unit tests for src/planner/changed_files.{hpp,cpp}: matching git's paths
// against lint's inputs (the git side runs in tests/integration/lint_changed_since_test.cpp).

#include <catch2/catch.hpp>
#include <fstream>

#include "planner/changed_files.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_changed_files_test {

namespace fs = std::filesystem;
using Paths = std::vector<fs::path>;

TEST_CASE("keep_changed matches relative inputs against absolute names, in input order",
          "[changed_files]") {
    sm::util::TempDir dir{"sm-unit-changed"};
    fs::create_directories(dir.path() / "m");
    for (const char* name : {"1_a.up.sql", "2_b.up.sql", "3_c.up.sql"}) {
        std::ofstream(dir.path() / "m" / name) << "SELECT 1;\n";
    }
    // Relative to a working directory inside, through "..", and a deleted file.
    fs::path cwd = fs::current_path();
    fs::current_path(dir.path() / "m");
    Paths files = {"1_a.up.sql", "../m/2_b.up.sql", "3_c.up.sql"};
    Paths changed = {dir.path() / "m" / "3_c.up.sql", dir.path() / "m" / "2_b.up.sql",
                     dir.path() / "m" / "4_gone.up.sql"};
    Paths kept = sm::planner::keep_changed(files, changed);
    fs::current_path(cwd);
    CHECK(kept == Paths{"../m/2_b.up.sql", "3_c.up.sql"});
    CHECK(sm::planner::keep_changed(files, {}).empty());
}

}  // namespace planner_changed_files_test
