#include "util/alarms.hpp"

#include <algorithm>
#include <thread>

namespace sm::util {

Alarms& Alarms::shared() {
    // Never destroyed: the thread may still wait on its members while the
    // process exits.
    static auto* alarms = new Alarms();
    return *alarms;
}

uint64_t Alarms::add(Clock::time_point at, Task task) {
    std::unique_lock<std::mutex> lock(m_mutex);
    uint64_t id = m_next_id++;
    m_entries.emplace(id, Entry{at, std::move(task)});
    if (!m_started) {
        m_started = true;
        std::thread([this] { run(); }).detach();
    } else if (at < m_wakes_at) {
        m_wakes_at = at;
        lock.unlock();
        m_wake.notify_one();
    }
    return id;
}

void Alarms::cancel(uint64_t id) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_entries.erase(id);  // first, so that the thread cannot pick it again meanwhile
    m_done.wait(lock, [&] { return m_running != id; });
}

void Alarms::run() {
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        auto first = std::min_element(m_entries.begin(), m_entries.end(),
                                      [](auto& a, auto& b) { return a.second.at < b.second.at; });
        auto now = Clock::now();
        if (first == m_entries.end() || first->second.at > now) {
            m_wakes_at = first == m_entries.end() ? Clock::time_point::max() : first->second.at;
            if (m_wakes_at == Clock::time_point::max()) {
                m_wake.wait(lock);
            } else {
                m_wake.wait_until(lock, m_wakes_at);
            }
            continue;
        }
        uint64_t id = first->first;
        Task task = first->second.task;  // the entry may be erased while it runs
        m_running = id;
        m_wakes_at = Clock::time_point::min();  // busy: add() need not wake it
        lock.unlock();
        std::optional<Clock::time_point> again = task();
        lock.lock();
        m_running = 0;
        if (auto it = m_entries.find(id); it != m_entries.end()) {
            if (again) {
                it->second.at = *again;
            } else {
                m_entries.erase(it);
            }
        }
        m_done.notify_all();
    }
}

}  // namespace sm::util
