#pragma once
// What a stream may show: colour and in-place redraws on a terminal only.
//
// Colour follows https://no-color.org: a terminal gets it unless NO_COLOR is
// set to anything but the empty string; TERM=dumb gets neither colour nor
// redraws. Pipes, files and CI logs get plain text.

#include <string>
#include <string_view>

namespace sm::util {

enum class Style { error, warning, heading };

// Whether text written to fd (STDOUT_FILENO, STDERR_FILENO) may be coloured.
bool use_colour(int fd);

// Whether a line written to fd may be redrawn in place ("\r" and erase): a
// terminal whose TERM is not "dumb" (NO_COLOR does not matter).
bool can_redraw(int fd);

// text in style (red, yellow, bold) when on, else text unchanged.
std::string paint(std::string_view text, Style style, bool on);

}  // namespace sm::util
