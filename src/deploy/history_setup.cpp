#include "deploy/history_setup.hpp"

#include <cstdio>
#include <exception>

#include "db/history.hpp"
#include "seed/protected_target.hpp"
#include "util/redact.hpp"

namespace sm::deploy {

HistorySetup::HistorySetup(db::Session& control, db::Session& migration, const core::Config& config)
    : m_control(control), m_migration(migration), m_config(config) {
    db::HistorySchema state = db::history_schema_state(control);
    m_first_use = state == db::HistorySchema::absent;
    if (m_first_use) {
        db::send_history_schema(migration);
    } else {
        if (state == db::HistorySchema::outdated) {
            db::create_history_schema(control);
        }
        settle();
    }
}

HistorySetup::~HistorySetup() {
    try {
        settle();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "safe-migrate: warning: %s\n", util::redact_text(e.what()).c_str());
    }
}

void HistorySetup::settle() {
    if (m_settled) {
        return;
    }
    m_settled = true;
    if (m_first_use) {
        db::receive_history_schema(m_migration);
    }
    seed::remember_if_protected(m_control, m_config);
}

}  // namespace sm::deploy
