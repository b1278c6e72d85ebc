#include "core/identity.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/strings.hpp"

#ifndef SM_VERSION
#define SM_VERSION "0.0.0"
#endif
#ifndef SM_GIT_COMMIT
#define SM_GIT_COMMIT "unknown"
#endif

namespace sm::core {
namespace {

std::string random_bytes(size_t n) {
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
        throw Error(ExitCode::failure, "cannot read random bytes from openssl");
    }
    return bytes;
}

}  // namespace

const char* tool_version() {
    return SM_VERSION;
}

const char* git_commit() {
    return SM_GIT_COMMIT;
}

std::string libpq_version() {
    int v = PQlibVersion();  // 150005 for 15.5 (from 10 on: major * 10000 + minor)
    return v >= 100000 ? fmt::format("{}.{}", v / 10000, v % 10000)
                       : fmt::format("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
}

// 13 for DROP DATABASE ... WITH (FORCE) (restore); the lock model follows 15.
const char* supported_servers() {
    return "PostgreSQL 13 and later (tested with 15)";
}

std::string actor() {
    std::string user;
    if (const char* env_user = std::getenv("USER"); env_user != nullptr && *env_user != '\0') {
        user = env_user;
    } else if (const struct passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) {
        user = pw->pw_name;
    } else {
        user = std::to_string(::geteuid());
    }
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) != 0) {
        return user + "@unknown";
    }
    return user + "@" + host;
}

std::string random_hex(size_t n) {
    return util::to_hex(random_bytes(n));
}

std::string new_run_id() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
    std::string hex = util::to_hex(b);
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                       hex.substr(16, 4), hex.substr(20, 12));
}

}  // namespace sm::core
