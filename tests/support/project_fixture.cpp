#include "support/project_fixture.hpp"

#include <fstream>

namespace sm::test {

Project::Project() : m_dir("sm-project-test") {
    std::filesystem::create_directories(migrations());
}

void Project::write_config(const std::string& toml) const {
    std::ofstream(config()) << toml;
}

void Project::migration(const std::string& name, const std::string& sql) const {
    std::ofstream(migrations() / name) << sql;
}

std::string Project::notify_section(const std::string& extra, int retries) const {
    return "[notify]\ndeadline = \"5s\"\nattempt_timeout = \"2s\"\nconnect_timeout = "
           "\"1s\"\nretries = " +
           std::to_string(retries) + "\nspool = \"" + spool().string() + "\"\n" + extra;
}

std::string Project::backup_section() const {
    return "[backup]\ndir = \"" + backups().string() + "\"\n";
}

std::vector<std::string> Project::args(std::vector<std::string> more) const {
    std::vector<std::string> all = {"--config", config().string(), "--migrations-dir",
                                    migrations().string()};
    all.insert(all.end(), more.begin(), more.end());
    return all;
}

std::vector<std::string> Project::args(const TestDatabase& db,
                                       std::vector<std::string> more) const {
    std::vector<std::string> all = {"--database-url", db.url()};
    all.insert(all.end(), more.begin(), more.end());
    return args(all);
}

std::string webhook(const std::string& name, const std::string& kind, const std::string& url,
                    const std::string& extra, const std::string& table) {
    return "[[" + table + "]]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\nurl = \"" + url +
           "\"\n" + extra;
}

}  // namespace sm::test
