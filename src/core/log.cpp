#include "core/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "util/redact.hpp"
#include "util/terminal.hpp"

namespace sm::core {
namespace {

// Writes "safe-migrate: <level>: <message>" to stderr, redacted; on a terminal
// "warning" is yellow and "error" red (util/terminal.hpp).
class RedactingStderrSink : public spdlog::sinks::base_sink<std::mutex> {
  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string text =
            util::redact_text(std::string_view(msg.payload.data(), msg.payload.size()));
        std::string level = "info";
        bool colour = util::use_colour(STDERR_FILENO);
        switch (msg.level) {
            case spdlog::level::debug:
                level = "debug";
                break;
            case spdlog::level::warn:
                level = util::paint("warning", util::Style::warning, colour);
                break;
            case spdlog::level::err:
                level = util::paint("error", util::Style::error, colour);
                break;
            default:
                break;
        }
        std::fprintf(stderr, "safe-migrate: %s: %s\n", level.c_str(), text.c_str());
    }
    void flush_() override { std::fflush(stderr); }
};

std::shared_ptr<spdlog::logger>& logger() {
    static std::shared_ptr<spdlog::logger> instance =
        std::make_shared<spdlog::logger>("safe-migrate", std::make_shared<RedactingStderrSink>());
    return instance;
}

}  // namespace

void init_logging(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            logger()->set_level(spdlog::level::debug);
            break;
        case LogLevel::info:
            logger()->set_level(spdlog::level::info);
            break;
        case LogLevel::warn:
            logger()->set_level(spdlog::level::warn);
            break;
        case LogLevel::error:
            logger()->set_level(spdlog::level::err);
            break;
    }
    logger()->flush_on(spdlog::level::debug);
}

void log_debug(const std::string& message) {
    logger()->debug(message);
}
void log_info(const std::string& message) {
    logger()->info(message);
}
void log_warn(const std::string& message) {
    logger()->warn(message);
}

}  // namespace sm::core
