#include "util/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sm::util {

void keep_freed_memory() {
#if defined(__GLIBC__)
    constexpr int k_keep = 64 << 20;
    mallopt(M_TRIM_THRESHOLD, k_keep);  // also fixes the mmap threshold at its default
    mallopt(M_TOP_PAD, 16 << 20);       // grow the heap in steps, not page by page
#endif
}

}  // namespace sm::util
