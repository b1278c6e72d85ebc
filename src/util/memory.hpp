#pragma once
// How the process's allocator treats freed memory.

namespace sm::util {

// Tells the allocator to keep freed memory for reuse (up to 64 MB at the top of
// each heap) instead of handing it back to the kernel as soon as a large block
// is freed. Parsing allocates and frees large blocks for every statement: given
// back each time, every page faults again on the next statement, which tripled
// lint's CPU time. Process-wide and idempotent; peak memory is unchanged, only
// returned later. Does nothing where the C library has no such setting.
void keep_freed_memory();

}  // namespace sm::util
