#pragma once
// Catalog storage in an S3 bucket (AWS, or any server speaking its API):
// objects are <prefix>/<key>. Files larger than one part go up as multipart
// uploads, read part by part (bounded memory), each part with its Content-MD5;
// a failed multipart upload is aborted. Every request is retried with backoff
// (core/backoff) on network errors, 5xx but 501 (Not Implemented) and
// SlowDown; other errors fail at once, naming the object, the HTTP status and
// S3's error code (a wrong secret is "SignatureDoesNotMatch").

#include <cstdint>
#include <memory>

#include "backup/storage.hpp"
#include "core/config.hpp"

namespace sm::backup {

struct S3Tuning {
    int64_t part_bytes = 16LL << 20;  // multipart part size (S3's minimum is 5 MiB)
    int parallel_parts = 4;           // parts in flight at once (memory: this many parts)
    int attempts = 6;                 // per request, the first included
    std::chrono::milliseconds retry_base{200};
    std::chrono::milliseconds retry_max{5000};
};

// S3 storage for settings; credentials missing from settings come from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (registered
// as secrets). Throws sm::Error (backup_failed) naming the variables when the
// key id or the secret is missing.
std::unique_ptr<Storage> make_s3_storage(const core::S3Settings& settings,
                                         const S3Tuning& tuning = {});

}  // namespace sm::backup
