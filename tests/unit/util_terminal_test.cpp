// Unit tests for src/util/terminal.{hpp,cpp}: colour and redraws on a real
// pseudo-terminal, none on a pipe, none under NO_COLOR or TERM=dumb.

#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "util/terminal.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_terminal_test {

using namespace sm::util;

namespace {

// Sets (or with nullopt unsets) an environment variable for one scope.
class EnvVar {
  public:
    EnvVar(const char* name, const std::optional<std::string>& value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        set(value);
    }
    ~EnvVar() { set(m_old); }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

  private:
    void set(const std::optional<std::string>& value) {
        if (value) {
            ::setenv(m_name, value->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    const char* m_name;
    std::optional<std::string> m_old;
};

struct Pty {
    int master = -1;
    int slave = -1;
    Pty() { REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0); }
    ~Pty() {
        ::close(master);
        ::close(slave);
    }
    Pty(const Pty&) = delete;
    Pty& operator=(const Pty&) = delete;
};

}  // namespace

TEST_CASE("a terminal gets colour and redraws", "[terminal]") {
    Pty pty;
    EnvVar term("TERM", "xterm-256color");
    EnvVar no_colour("NO_COLOR", std::nullopt);
    CHECK(use_colour(pty.slave));
    CHECK(can_redraw(pty.slave));
    EnvVar empty_no_colour("NO_COLOR", "");  // set but empty: no-color.org says colour stays
    CHECK(use_colour(pty.slave));
}

TEST_CASE("NO_COLOR takes the colour away, not the redraws", "[terminal]") {
    Pty pty;
    EnvVar term("TERM", "xterm");
    EnvVar no_colour("NO_COLOR", "1");
    CHECK_FALSE(use_colour(pty.slave));
    CHECK(can_redraw(pty.slave));
}

TEST_CASE("TERM=dumb gets neither colour nor redraws", "[terminal]") {
    Pty pty;
    EnvVar term("TERM", "dumb");
    EnvVar no_colour("NO_COLOR", std::nullopt);
    CHECK_FALSE(use_colour(pty.slave));
    CHECK_FALSE(can_redraw(pty.slave));
}

TEST_CASE("a pipe gets plain text", "[terminal]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    EnvVar term("TERM", "xterm");
    EnvVar no_colour("NO_COLOR", std::nullopt);
    CHECK_FALSE(use_colour(fds[1]));
    CHECK_FALSE(can_redraw(fds[1]));
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("paint wraps text in the style's escape codes only when on", "[terminal]") {
    CHECK(paint("error:", Style::error, true) == "\033[31merror:\033[0m");
    CHECK(paint("warning", Style::warning, true) == "\033[33mwarning\033[0m");
    CHECK(paint("NAME", Style::heading, true) == "\033[1mNAME\033[0m");
    CHECK(paint("error:", Style::error, false) == "error:");
    CHECK(paint("", Style::error, true).empty());
}

}  // namespace util_terminal_test
