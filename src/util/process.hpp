#pragma once
// Child processes, always started from an argv vector and never through a shell.
// This is the only part of the code base that includes Boost.Process.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sm::util {

// An unprivileged account to run a child as (used for PostgreSQL when we run as root).
struct RunAs {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string name;
};

// What to start: the program (absolute path, or a name looked up on PATH), its
// arguments, and changes to the inherited environment. Secrets belong in env_set,
// never in args: argv is visible to every user through ps.
struct ProcessSpec {
    std::string program;
    std::vector<std::string> args;
    std::map<std::string, std::string> env_set;
    std::vector<std::string> env_unset;
    std::optional<std::filesystem::path> cwd;
    std::optional<RunAs> run_as;
};

// How a child ended, with everything it printed.
struct ProcessResult {
    int exit_code = -1;  // valid when signal == 0
    int signal = 0;      // the signal that ended it, or 0
    std::string out;
    std::string err;

    bool ok() const { return signal == 0 && exit_code == 0; }
    // "exited with code 3" or "killed by signal 9 (SIGKILL)".
    std::string how_it_ended() const;
};

// Runs a child to completion and captures stdout and stderr.
// Throws sm::Error (code failure) when the program cannot be started at all; a
// child that starts and fails is reported through the result, not an exception.
ProcessResult run_process(const ProcessSpec& spec);

// Throws sm::Error naming the program, how it ended and the (redacted) tail of
// its stderr when result is not ok().
void require_success(const ProcessSpec& spec, const ProcessResult& result);

// A running child whose output goes to files; for long jobs and for tests that
// signal a child midway. The destructor kills a child that is still running.
class ChildProcess {
  public:
    explicit ChildProcess(const ProcessSpec& spec);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const;
    bool running();
    void send_signal(int signo);
    // Waits for the child and collects its output. Calling it twice returns the
    // same result.
    ProcessResult wait();
    // Like wait(), but gives up after timeout and returns std::nullopt.
    std::optional<ProcessResult> wait_for(std::chrono::milliseconds timeout);
    // Output so far (the files are read as they are).
    std::string stdout_so_far() const;
    std::string stderr_so_far() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Looks a program up on PATH; std::nullopt when it is not there.
std::optional<std::filesystem::path> find_on_path(const std::string& name);

// The unprivileged account to run PostgreSQL as when we are root; std::nullopt
// when the named account does not exist.
std::optional<RunAs> lookup_user(const std::string& name);

}  // namespace sm::util
