#pragma once
// Logging: line-oriented messages on stderr, scrubbed of secrets.
//
// Every line goes through redact_text() before it is written. Progress and
// results a user asked for go to stdout through the commands themselves; logs
// are for what happened along the way.

#include <string>

namespace sm::core {

enum class LogLevel { debug, info, warn, error };

// Sets up the process-wide logger writing to stderr at level.
void init_logging(LogLevel level);

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warn(const std::string& message);

}  // namespace sm::core
