#pragma once
// A connection opened on a thread of its own, so the caller can do other work
// while the server answers (execute loads the project meanwhile).

#include <memory>
#include <string>
#include <thread>

#include "db/session.hpp"

namespace sm::db {

class PendingSession {
  public:
    // Starts connect_as(conninfo, name, role) on a new thread.
    PendingSession(const std::string& conninfo, const std::string& name, const std::string& role);
    // A session not taken is closed. An attempt still waiting on the server
    // is left to end on its thread (it closes what it opens), and the process
    // ends through util::end_process, never exit() under it.
    ~PendingSession();
    PendingSession(const PendingSession&) = delete;
    PendingSession& operator=(const PendingSession&) = delete;

    // Waits for the connection: the session, or what connect_as throws. Once.
    std::unique_ptr<Session> take();

  private:
    struct Shared;
    std::shared_ptr<Shared> m_shared;
    std::thread m_thread;
};

}  // namespace sm::db
