#pragma once
// What is wrong with a connection string, said without showing any of it.
//
// libpq's own parse errors quote the offending token, and a mistyped URL puts
// password text into other fields ("u:pw/x@h" reads pw as the port, "u:p@w@h"
// reads w@h as the host), so neither libpq's messages nor the parsed fields can
// be shown. These checks walk the string the way libpq does and name the field
// that is wrong (the password, the port, setting 3 ...), never its text.

#include <optional>
#include <string>

namespace sm::core {

// The problem with conninfo (a URL or key=value string), as a lower-case
// phrase that quotes nothing from it ("the password holds an invalid
// percent-escape"), or std::nullopt when it is well formed: it parses, every
// key is a libpq setting, every port is a number from 1 to 65535, and a URL's
// host and database name hold no '@' (an unencoded '@' or '/' in a password).
std::optional<std::string> conninfo_problem(const std::string& conninfo);

// Registers with the redactor (util/redact.hpp) every piece of a malformed
// conninfo that could be password text: for a URL everything between "://"
// and the last '@' after the user name, for key=value the rest of a
// password setting, each also split at '/', '@', ':', spaces and quotes.
void register_malformed_secrets(const std::string& conninfo);

}  // namespace sm::core
