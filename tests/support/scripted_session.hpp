#pragma once
// The smallest stand-in for db::Session: records every statement it is sent and
// answers each with answer() (an empty result unless a test sets it; answer may
// throw db::DbError to play a failing server). For unit tests of code that runs
// a fixed sequence of statements on one session (the transaction runner, seeds);
// the deploy pipeline's tests use fake_session.hpp, which plays a whole target.

#include <functional>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::test {

class ScriptedSession : public db::Session {
  public:
    std::vector<std::string> sent;
    std::vector<std::vector<db::Value>> params;  // of each statement sent, likewise
    std::function<db::QueryResult(const std::string&)> answer = [](const std::string&) {
        return db::QueryResult{};
    };

    db::QueryResult exec(const std::string& sql) override { return exec_params(sql, {}); }
    db::QueryResult exec_params(const std::string& sql,
                                const std::vector<db::Value>& values) override {
        sent.push_back(sql);
        params.push_back(values);
        return answer(sql);
    }
    void cancel() noexcept override {}
    int backend_pid() const override { return 1; }
    int server_version() const override { return 150004; }
    std::string display_name() const override { return "postgresql://test@scripted/db"; }
};

}  // namespace sm::test
