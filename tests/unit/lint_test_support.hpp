#pragma once
// Helpers for unit tests that read a whole lint report (lint_files, build_plan).

#include <string>
#include <vector>

#include "planner/linter.hpp"

namespace sm_test {

// Every finding of rule in the report, in file and statement order.
inline std::vector<const sm::planner::Finding*> of_rule(const sm::planner::LintReport& report,
                                                        const std::string& rule) {
    std::vector<const sm::planner::Finding*> out;
    for (const auto& file : report.files) {
        for (const auto& f : file.findings) {
            if (f.rule == rule) {
                out.push_back(&f);
            }
        }
    }
    return out;
}

}  // namespace sm_test
