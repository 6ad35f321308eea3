//! The `neardup` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

// Worker threads allocate per-document buffers that other threads free. With the system
// allocator a 150k-file scan waited on its arena locks about 4,700 times and took 50k page
// faults from memory handed back and touched again; mimalloc keeps both near zero. Built
// without its transparent-huge-page advice (`no_thp`): memory it hands back and takes again
// then costs a 4 KiB zeroed page, not 2 MiB, which took 6% of a scan's cycles and 30 MiB more
// peak memory. Buffers of 20 MiB and more are the system's own mappings (see `cli::alloc`).
#[global_allocator]
static ALLOCATOR: cli::alloc::Allocator = cli::alloc::Allocator;

/// Has the allocator keep the memory a run frees, to be used again by the run, instead of
/// handing it back to the system after a delay. Handing it back (`madvise`, about 1,600 calls
/// on a 150k-document scan, many of them as the run ends) makes the system interrupt the other
/// cores to flush their TLBs, which in a virtual machine costs an exit per call: 1 to 2 % of
/// such a scan's time. The peak grows by 10 to 20 MiB. Called before any other thread exists.
pub(crate) fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc.h (libmimalloc-sys leaves it out of its constants);
    // -1 turns purging off.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: a plain store to mimalloc's option table, which `mi_option_set` does not guard
    // against other threads; there is no other thread yet.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

fn main() {
    std::process::exit(cli::run());
}
