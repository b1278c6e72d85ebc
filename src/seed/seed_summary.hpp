#pragma once
// What seed run did, for its closing summary: the rows each table received
// from the seeds' own INSERT statements (each statement's command-tag count,
// attributed to core::Statement::insert_target, which the planner reads from
// PostgreSQL's parse tree), the time, the
// environment and the scale. Rows that other statements add (a function call,
// an INSERT inside a WITH, COPY) are not attributed to a table.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace sm::seed {

struct SeedRunSummary {
    std::string environment;
    int scale = 1;
    int seeds = 0;                        // seeds that ran
    std::map<std::string, int64_t> rows;  // "public.users" -> rows inserted
    std::chrono::milliseconds took{0};    // the whole run, from loading the files

    int64_t total_rows() const;
};

}  // namespace sm::seed
