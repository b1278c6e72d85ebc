#pragma once
// A real HTTP endpoint for notifier tests: listens on 127.0.0.1 on a free
// port, records every request and answers from a script.
//
// The notifier is tested over real sockets against this receiver, as it talks
// to Slack or a pipeline's webhook in production; nothing is mocked.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sm::test {

// One request as it arrived.
struct ReceivedRequest {
    std::string method;
    std::string path;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::steady_clock::time_point at;  // when the request was read

    // The first header called name (case-insensitive), or "" when absent.
    std::string header(const std::string& name) const;
};

// How the receiver answers one request.
struct ScriptedResponse {
    int status = 200;
    std::string body = "ok";
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After", "1"}
    // Above zero: accept the request and answer nothing for this long (then
    // status and body, to a client that has usually given up by then).
    std::chrono::milliseconds hang{0};

    static ScriptedResponse with_status(
        int status, std::vector<std::pair<std::string, std::string>> headers = {});
    static ScriptedResponse hanging(std::chrono::milliseconds how_long);
};

class HttpReceiver {
  public:
    HttpReceiver();   // listening when it returns
    ~HttpReceiver();  // stops, also with requests hanging
    HttpReceiver(const HttpReceiver&) = delete;
    HttpReceiver& operator=(const HttpReceiver&) = delete;

    int port() const;
    // "http://127.0.0.1:<port>" + path (path starts with '/').
    std::string url(const std::string& path) const;

    // Answers the next requests in this order; then the default.
    void enqueue(ScriptedResponse response);
    // What requests get once the queue is empty (initially 200 "ok").
    void set_default(ScriptedResponse response);

    // Every request so far, in arrival order.
    std::vector<ReceivedRequest> requests() const;
    size_t count() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

}  // namespace sm::test
