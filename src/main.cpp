#include "cli/app.hpp"

int main(int argc, char** argv) {
    return sm::cli::run(argc, argv);
}
