// Writes the man page and the bash, zsh and fish completions from the command
// table, at build time (packaging/install.cmake): gen_docs OUT_DIR.
#include <cstdio>
#include <exception>
#include <filesystem>

#include "cli/app.hpp"
#include "util/files.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: gen_docs OUT_DIR\n");
        return 2;
    }
    try {
        std::filesystem::path out = argv[1];
        std::filesystem::create_directories(out);
        sm::docs::ToolDoc tool = sm::cli::describe_tool();
        sm::util::write_file_atomic(out / "safe-migrate.1", sm::docs::man_page(tool));
        sm::util::write_file_atomic(out / "safe-migrate.bash", sm::docs::bash_completion(tool));
        sm::util::write_file_atomic(out / "_safe-migrate", sm::docs::zsh_completion(tool));
        sm::util::write_file_atomic(out / "safe-migrate.fish", sm::docs::fish_completion(tool));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gen_docs: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
