#include "backup/archive_crypt.hpp"

#include <mutex>

#include "backup/catalog.hpp"
#include "backup/segment_cipher.hpp"
#include "core/identity.hpp"
#include "util/error.hpp"
#include "util/worker_pool.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

const char* const k_no_key_hint =
    "Set [backup] encryption_key = \"${BACKUP_KEY}\" and export BACKUP_KEY with the key the "
    "backup was taken with.";

std::string short_fingerprint(const std::string& fingerprint) {
    return fingerprint.substr(0, 16);
}

}  // namespace

void require_create_key(const core::EncryptionKey& key) {
    if (!key.unset.empty()) {
        throw Error(ExitCode::backup_failed, key.unset + "; the backup would not be encrypted",
                    "Export the variable with the backup key, or remove [backup] encryption_key.");
    }
}

void encrypt_archive(const fs::path& work, const core::EncryptionKey& key, int jobs, Manifest& m) {
    require_create_key(key);
    if (key.bytes.empty()) {
        return;
    }
    util::parallel_for(m.files.size(), jobs, [&](size_t i) {
        BackupFile& f = m.files[i];
        fs::path plain = work / f.name;
        fs::path sealed = plain;
        sealed += ".sealing";
        SealedFile s = encrypt_file(plain, sealed, key.bytes);
        fs::rename(sealed, plain);  // the plaintext goes as the encrypted file takes its name
        f.bytes = s.bytes;
        f.sha256 = s.sha256;
    });
    m.total_bytes = 0;
    for (const auto& f : m.files) {
        m.total_bytes += f.bytes;
    }
    m.cipher = k_cipher_name;
    m.cipher_segment_bytes = static_cast<int64_t>(k_segment_bytes);
    m.key_fingerprint = key_fingerprint(key.bytes);
}

void require_backup_key(const Manifest& m, const core::EncryptionKey& key) {
    if (!m.encrypted()) {
        return;
    }
    std::string what = "backup " + m.id + " is encrypted (" + m.cipher + ", key fingerprint " +
                       short_fingerprint(m.key_fingerprint) + ")";
    std::string export_hint = "Export the key the backup was taken with (fingerprint " +
                              short_fingerprint(m.key_fingerprint) +
                              ") in the variable [backup] encryption_key names.";
    if (!key.unset.empty()) {
        throw Error(ExitCode::backup_failed, what + " and " + key.unset, export_hint);
    }
    if (key.bytes.empty()) {
        throw Error(ExitCode::backup_failed, what + " and no [backup] encryption_key is set",
                    k_no_key_hint);
    }
    if (m.cipher != k_cipher_name) {
        throw Error(
            ExitCode::backup_failed,
            "backup " + m.id + " uses cipher " + m.cipher + ", which this version cannot read",
            "Use the safe-migrate version that took the backup.");
    }
    std::string have = key_fingerprint(key.bytes);
    if (have != m.key_fingerprint) {
        throw Error(ExitCode::backup_failed,
                    what + "; [backup] encryption_key is another key (fingerprint " +
                        short_fingerprint(have) + ")",
                    export_hint);
    }
}

std::vector<std::string> check_archive_segments(const fs::path& dir, const Manifest& m,
                                                const core::EncryptionKey& key) {
    std::vector<std::string> problems(m.files.size());
    util::parallel_for(m.files.size(), 0, [&](size_t i) {
        const BackupFile& f = m.files[i];
        std::error_code ec;
        if (!fs::is_regular_file(dir / f.name, ec)) {
            return;  // reported as missing already
        }
        try {
            check_file(dir / f.name, key.bytes, f.name);
        } catch (const Error& e) {
            problems[i] = e.what();
        }
    });
    std::erase(problems, std::string());
    return problems;
}

PlainArchive::PlainArchive(const fs::path& backup_dir, const Manifest& m,
                           const core::EncryptionKey& key, int jobs) {
    require_backup_key(m, key);
    m_dir = backup_dir.parent_path() /
            (std::string(k_work_prefix) + "decrypt-" + m.id + "-" + core::random_hex(4));
    fs::create_directory(m_dir);
    fs::permissions(m_dir, fs::perms::owner_all, fs::perm_options::replace);
    try {
        std::mutex mutex;
        util::parallel_for(m.files.size(), jobs, [&](size_t i) {
            const BackupFile& f = m.files[i];
            fs::path to = m_dir / f.name;
            {
                std::lock_guard<std::mutex> hold(mutex);
                fs::create_directories(to.parent_path());
            }
            decrypt_file(backup_dir / f.name, to, key.bytes, f.name);
        });
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(m_dir, ignored);
        throw;
    }
}

PlainArchive::~PlainArchive() {
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
}

}  // namespace sm::backup
