#include "util/terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace sm::util {
namespace {

bool dumb_terminal() {
    const char* term = std::getenv("TERM");
    return term != nullptr && std::string_view(term) == "dumb";
}

}  // namespace

bool use_colour(int fd) {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour != nullptr && *no_colour != '\0') {
        return false;
    }
    return can_redraw(fd);
}

bool can_redraw(int fd) {
    return ::isatty(fd) != 0 && !dumb_terminal();
}

std::string paint(std::string_view text, Style style, bool on) {
    if (!on || text.empty()) {
        return std::string(text);
    }
    const char* start = style == Style::error     ? "\033[31m"
                        : style == Style::warning ? "\033[33m"
                                                  : "\033[1m";
    return start + std::string(text) + "\033[0m";
}

}  // namespace sm::util
