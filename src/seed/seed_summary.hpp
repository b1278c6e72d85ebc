#pragma once
// What seed run did, for its closing summary: the rows each table received
// from the seeds' own INSERT statements (each statement's command-tag count,
// attributed to its target table by PostgreSQL's parser), the time, the
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

// The table ("schema.table"; the schema defaults to public) an INSERT
// statement inserts into, or "" for any other statement or text that does
// not parse.
std::string insert_target(const std::string& sql);

}  // namespace sm::seed
