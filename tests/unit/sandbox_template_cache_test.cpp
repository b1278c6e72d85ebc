// The initdb template cache's sweep: staging copies a killed process left, and
// templates of servers no longer used, go; the template in use and recent
// work of other processes stay.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "sandbox/data_template.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace sandbox_template_cache_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_CASE("the template cache sweep removes stale staging copies and unused templates only") {
    fs::path cache = sm::util::make_unique_dir(fs::temp_directory_path(), "sm-template-cache-");
    auto now = fs::file_time_type::clock::now();
    auto make = [&](const std::string& name, fs::file_time_type written) {
        fs::create_directories(cache / name / "data");
        fs::last_write_time(cache / name, written);
        return cache / name;
    };
    fs::path current = make("pg-template-aaaa", now - 24h * 90);  // in use: kept however old
    fs::path unused = make("pg-template-bbbb", now - 24h * 31);
    fs::path recent = make("pg-template-cccc", now - 24h * 29);
    fs::path killed = make(".staging-pg-template-aaaaXYZ123", now - 2h);
    fs::path copying = make(".staging-pg-template-aaaaXYZ456", now - 10min);
    fs::path other = make("something-else", now - 24h * 365);

    auto removed = sm::sandbox::sweep_template_cache(cache, current, now);

    CHECK(removed.size() == 2);
    CHECK_FALSE(fs::exists(unused));
    CHECK_FALSE(fs::exists(killed));
    for (const auto& kept : {current, recent, copying, other}) {
        CHECK(fs::exists(kept));
    }
    fs::remove_all(cache);
}

}  // namespace sandbox_template_cache_test
