// Unit tests for src/util/error.{hpp,cpp}: exit codes are part of the interface.

#include <catch2/catch.hpp>
#include <string>

#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_error_test {

using sm::Error;
using sm::ExitCode;

TEST_CASE("exit codes keep their documented values", "[error]") {
    CHECK(static_cast<int>(ExitCode::ok) == 0);
    CHECK(static_cast<int>(ExitCode::failure) == 1);
    CHECK(static_cast<int>(ExitCode::usage) == 2);
    CHECK(static_cast<int>(ExitCode::invalid_input) == 3);
    CHECK(static_cast<int>(ExitCode::policy) == 4);
    CHECK(static_cast<int>(ExitCode::db_unreachable) == 5);
    CHECK(static_cast<int>(ExitCode::lock_busy) == 6);
    CHECK(static_cast<int>(ExitCode::backup_failed) == 7);
    CHECK(static_cast<int>(ExitCode::refused) == 8);
    CHECK(static_cast<int>(ExitCode::pending) == 10);
    CHECK(static_cast<int>(ExitCode::drift) == 11);
    CHECK(static_cast<int>(ExitCode::interrupted) == 130);
}

TEST_CASE("exit_code_name gives stable names", "[error]") {
    CHECK(std::string(sm::exit_code_name(ExitCode::ok)) == "ok");
    CHECK(std::string(sm::exit_code_name(ExitCode::invalid_input)) == "invalid_input");
    CHECK(std::string(sm::exit_code_name(ExitCode::db_unreachable)) == "db_unreachable");
    CHECK(std::string(sm::exit_code_name(ExitCode::lock_busy)) == "lock_busy");
    CHECK(std::string(sm::exit_code_name(ExitCode::backup_failed)) == "backup_failed");
    CHECK(std::string(sm::exit_code_name(ExitCode::pending)) == "pending");
    CHECK(std::string(sm::exit_code_name(ExitCode::drift)) == "drift");
    CHECK(std::string(sm::exit_code_name(ExitCode::interrupted)) == "interrupted");
    CHECK(std::string(sm::exit_code_name(static_cast<ExitCode>(42))) == "unknown");
}

TEST_CASE("Error carries code, message and hint", "[error]") {
    Error e(ExitCode::lock_busy, "another runner holds the lock", "Wait, or pass --lock-wait.");
    CHECK(e.code() == ExitCode::lock_busy);
    CHECK(std::string(e.what()) == "another runner holds the lock");
    CHECK(e.hint() == "Wait, or pass --lock-wait.");
    Error plain(ExitCode::failure, "boom");
    CHECK(plain.hint().empty());
    const std::runtime_error& base = plain;
    CHECK(std::string(base.what()) == "boom");
}

}  // namespace util_error_test
