#include "db/pending_session.hpp"

#include <pthread.h>
#include <signal.h>

#include <exception>
#include <mutex>
#include <stdexcept>

#include "util/detached.hpp"

namespace sm::db {

// What the thread leaves for its owner; shared, so that an owner gone first
// leaves the thread something to write to.
struct PendingSession::Shared {
    std::mutex mutex;
    bool ended = false;      // the attempt is over, one way or the other
    bool abandoned = false;  // the owner detached the thread before that
    std::unique_ptr<Session> session;
    std::exception_ptr error;
};

PendingSession::PendingSession(const std::string& conninfo, const std::string& name,
                               const std::string& role)
    : m_shared(std::make_shared<Shared>()) {
    m_thread = std::thread([shared = m_shared, conninfo, name, role] {
        // Signals go to the other threads: started before util::InterruptGuard,
        // this one would otherwise take a SIGINT meant for its watcher.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        std::unique_ptr<Session> session;
        std::exception_ptr error;
        try {
            session = connect_as(conninfo, name, role);
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(shared->mutex);
        shared->ended = true;
        if (shared->abandoned) {
            session.reset();  // nobody takes it
            return;
        }
        shared->session = std::move(session);
        shared->error = error;
    });
}

PendingSession::~PendingSession() {
    if (!m_thread.joinable()) {
        return;
    }
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        if (!m_shared->ended) {
            m_shared->abandoned = true;
            util::thread_detached();
            m_thread.detach();
            return;
        }
    }
    m_thread.join();  // it has ended: the session it left is closed with m_shared
}

std::unique_ptr<Session> PendingSession::take() {
    if (!m_thread.joinable()) {
        throw std::logic_error("PendingSession::take: taken already");
    }
    m_thread.join();
    if (m_shared->error) {
        std::rethrow_exception(m_shared->error);
    }
    return std::move(m_shared->session);
}

}  // namespace sm::db
