#include "util/memory.hpp"

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace sm::util {

void keep_freed_memory() {
#if defined(M_TRIM_THRESHOLD) && defined(M_TOP_PAD)  // glibc
    mallopt(M_TRIM_THRESHOLD, 64 << 20);             // also fixes the mmap threshold where it is
    mallopt(M_TOP_PAD, 16 << 20);                    // grow the heap in steps, not page by page
#endif
}

}  // namespace sm::util
