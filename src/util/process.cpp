#include "util/process.hpp"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cstring>
#include <thread>

#include "util/error.hpp"
#include "util/files.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace bp = boost::process;

namespace sm::util {
namespace {

// Runs in the child between fork and exec: restores the default signal mask (the
// parent blocks SIGINT/SIGTERM for its watcher thread, and a child must not
// inherit that) and drops to an unprivileged account when asked.
struct ChildSetup : bp::extend::handler {
    explicit ChildSetup(std::optional<RunAs> who) : m_who(std::move(who)) {}
    template <class Executor>
    void on_exec_setup(Executor& /*exec*/) const {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (!m_who) {
            return;
        }
        if (::setgroups(0, nullptr) != 0 || ::setgid(m_who->gid) != 0 ||
            ::setuid(m_who->uid) != 0) {
            ::_exit(126);
        }
    }
    std::optional<RunAs> m_who;
};

std::string signal_name(int signo) {
    const char* abbrev = ::sigabbrev_np(signo);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

bp::environment make_environment(const ProcessSpec& spec) {
    bp::environment env = boost::this_process::environment();
    for (const auto& name : spec.env_unset) {
        env.erase(name);
    }
    for (const auto& [name, value] : spec.env_set) {
        env[name] = value;
    }
    return env;
}

boost::filesystem::path resolve_program(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        return boost::filesystem::path(program);
    }
    auto found = find_on_path(program);
    if (!found) {
        throw Error(ExitCode::failure, "cannot find program '" + program + "' on PATH");
    }
    return boost::filesystem::path(found->string());
}

ProcessResult result_from_status(int native_status) {
    ProcessResult result;
    if (WIFSIGNALED(native_status)) {
        result.signal = WTERMSIG(native_status);
    } else {
        result.exit_code = WEXITSTATUS(native_status);
    }
    return result;
}

}  // namespace

std::string ProcessResult::how_it_ended() const {
    if (signal != 0) {
        return "killed by signal " + std::to_string(signal) + " (" + signal_name(signal) + ")";
    }
    return "exited with code " + std::to_string(exit_code);
}

void require_success(const ProcessSpec& spec, const ProcessResult& result) {
    if (result.ok()) {
        return;
    }
    std::string program = std::filesystem::path(spec.program).filename().string();
    std::string tail = util::redact_text(last_lines(result.err, 5));
    std::string message = program + " " + result.how_it_ended();
    if (!tail.empty()) {
        message += ":\n" + indent(tail, "  ");
    }
    throw Error(ExitCode::failure, message);
}

struct ChildProcess::Impl {
    TempDir output_dir{"sm-child"};
    std::filesystem::path out_path = output_dir.path() / "stdout";
    std::filesystem::path err_path = output_dir.path() / "stderr";
    bp::child child;
    std::optional<ProcessResult> result;
};

ChildProcess::ChildProcess(const ProcessSpec& spec) : m_impl(std::make_unique<Impl>()) {
    auto exe = resolve_program(spec.program);
    std::vector<std::string> args = spec.args;
    auto cwd =
        spec.cwd ? boost::filesystem::path(spec.cwd->string()) : boost::filesystem::current_path();
    try {
        m_impl->child = bp::child(exe, bp::args = args, make_environment(spec), bp::start_dir = cwd,
                                  bp::std_in<bp::null, bp::std_out> m_impl->out_path.string(),
                                  bp::std_err > m_impl->err_path.string(), ChildSetup(spec.run_as));
    } catch (const bp::process_error& e) {
        throw Error(ExitCode::failure,
                    "cannot start " + exe.filename().string() + ": " + e.code().message());
    }
}

ChildProcess::~ChildProcess() {
    if (m_impl && !m_impl->result && m_impl->child.valid() && m_impl->child.running()) {
        ::kill(m_impl->child.id(), SIGKILL);
        std::error_code ignored;
        m_impl->child.wait(ignored);
    }
}

pid_t ChildProcess::pid() const {
    return m_impl->child.id();
}

bool ChildProcess::running() {
    if (m_impl->result) {
        return false;
    }
    std::error_code ec;
    return m_impl->child.running(ec);
}

void ChildProcess::send_signal(int signo) {
    if (running()) {
        ::kill(m_impl->child.id(), signo);
    }
}

ProcessResult ChildProcess::wait() {
    if (!m_impl->result) {
        std::error_code ec;
        m_impl->child.wait(ec);
        ProcessResult result = result_from_status(m_impl->child.native_exit_code());
        result.out = stdout_so_far();
        result.err = stderr_so_far();
        m_impl->result = std::move(result);
    }
    return *m_impl->result;
}

std::optional<ProcessResult> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return wait();
}

std::string ChildProcess::stdout_so_far() const {
    return read_file_if_exists(m_impl->out_path).value_or("");
}

std::string ChildProcess::stderr_so_far() const {
    return read_file_if_exists(m_impl->err_path).value_or("");
}

ProcessResult run_process(const ProcessSpec& spec) {
    ChildProcess child(spec);
    return child.wait();
}

std::optional<std::filesystem::path> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) {
        return std::nullopt;
    }
    for (const auto& dir : split(path, ':')) {
        if (dir.empty()) {
            continue;
        }
        std::filesystem::path candidate = std::filesystem::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

std::optional<RunAs> lookup_user(const std::string& name) {
    std::vector<char> buffer(16384);
    struct passwd pwd {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pwd, buffer.data(), buffer.size(), &found) != 0 ||
        found == nullptr) {
        return std::nullopt;
    }
    return RunAs{found->pw_uid, found->pw_gid, name};
}

}  // namespace sm::util
