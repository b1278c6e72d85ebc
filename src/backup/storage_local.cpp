#include <algorithm>
#include <fstream>
#include <vector>

#include "backup/digest.hpp"
#include "backup/storage.hpp"
#include "backup/storage_s3.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

class LocalStorage : public Storage {
  public:
    explicit LocalStorage(fs::path root) : m_root(std::move(root)) {}

    std::string describe() const override { return m_root.string(); }

    void put_file(const std::string& key, const fs::path& file) override {
        fs::path to = path_of(key);
        fs::create_directories(to.parent_path());
        fs::path tmp = to;
        tmp += ".part";
        std::error_code ec;
        fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            throw Error(ExitCode::backup_failed,
                        "cannot store " + key + " in " + describe() + ": " + ec.message());
        }
        util::rename_durably(tmp, to);
    }

    void put_text(const std::string& key, const std::string& text) override {
        fs::create_directories(path_of(key).parent_path());
        util::write_file_atomic(path_of(key), text);
    }

    Fetched get_file(const std::string& key, const fs::path& dest) override {
        std::ifstream in(path_of(key), std::ios::binary);
        if (!in) {
            throw Error(ExitCode::backup_failed, key + " not found in " + describe());
        }
        fs::create_directories(dest.parent_path());
        std::ofstream out(dest, std::ios::binary | std::ios::trunc);
        Fetched got;
        Sha256Stream sha;
        std::vector<char> block(1 << 20);
        while (in) {
            in.read(block.data(), static_cast<std::streamsize>(block.size()));
            auto n = static_cast<size_t>(in.gcount());
            sha.update({block.data(), n});
            out.write(block.data(), static_cast<std::streamsize>(n));
            got.bytes += static_cast<int64_t>(n);
        }
        if (!out.flush()) {
            throw Error(ExitCode::backup_failed, "cannot write " + dest.string());
        }
        got.sha256 = sha.hex();
        return got;
    }

    std::string get_text(const std::string& key) override {
        auto text = util::read_file_if_exists(path_of(key));
        if (!text) {
            throw Error(ExitCode::backup_failed, key + " not found in " + describe());
        }
        return *text;
    }

    std::vector<StoredObject> list(const std::string& prefix) override {
        std::vector<StoredObject> out;
        std::error_code ec;
        if (!fs::is_directory(m_root, ec)) {
            return out;
        }
        for (const auto& e : fs::recursive_directory_iterator(m_root)) {
            std::string key = fs::relative(e.path(), m_root).generic_string();
            if (e.is_regular_file() && key.rfind(prefix, 0) == 0 &&
                e.path().extension() != ".part") {
                out.push_back({key, static_cast<int64_t>(e.file_size())});
            }
        }
        std::sort(out.begin(), out.end(),
                  [](const StoredObject& a, const StoredObject& b) { return a.key < b.key; });
        return out;
    }

    bool exists(const std::string& key) override {
        std::error_code ec;
        return fs::is_regular_file(path_of(key), ec);
    }

    void remove(const std::string& key) override {
        fs::path p = path_of(key);
        fs::remove(p);
        // Directories left empty go too, up to the root.
        std::error_code ec;
        for (fs::path dir = p.parent_path(); dir != m_root && fs::is_empty(dir, ec) && !ec;
             dir = dir.parent_path()) {
            fs::remove(dir, ec);
        }
    }

    std::vector<std::string> unfinished_uploads(const std::string& prefix) override {
        std::vector<std::string> keys;
        for (const auto& part : list_parts(prefix)) {
            fs::path key = fs::relative(part, m_root);
            keys.push_back(key.replace_extension().generic_string());  // without ".part"
        }
        std::sort(keys.begin(), keys.end());
        return keys;
    }

    int abort_uploads(const std::string& prefix) override {
        int n = 0;
        for (const auto& o : list_parts(prefix)) {
            fs::remove(o);
            ++n;
        }
        return n;
    }

  private:
    fs::path path_of(const std::string& key) const { return m_root / fs::path(key); }

    // Half-copied files (".part") under prefix: a local upload that never finished.
    std::vector<fs::path> list_parts(const std::string& prefix) const {
        std::vector<fs::path> parts;
        std::error_code ec;
        if (!fs::is_directory(m_root, ec)) {
            return parts;
        }
        for (const auto& e : fs::recursive_directory_iterator(m_root)) {
            std::string key = fs::relative(e.path(), m_root).generic_string();
            if (e.is_regular_file() && key.rfind(prefix, 0) == 0 &&
                e.path().extension() == ".part") {
                parts.push_back(e.path());
            }
        }
        return parts;
    }

    fs::path m_root;
};

}  // namespace

std::unique_ptr<Storage> make_local_storage(const fs::path& root) {
    return std::make_unique<LocalStorage>(root);
}

std::unique_ptr<Storage> make_storage(const core::BackupSettings& settings) {
    if (settings.storage == "s3") {
        return make_s3_storage(settings.s3);
    }
    return make_local_storage(settings.dir);
}

}  // namespace sm::backup
