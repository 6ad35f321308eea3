//! The binary's allocator: mimalloc for everything but the few very large buffers (candidate
//! pairs, signatures, verified pairs), which are mapped from the system on their own.
//!
//! The run keeps what mimalloc frees (see `keep_freed_memory` in `main.rs`), which is right for
//! the millions of per-document buffers but wrong for a buffer of tens or hundreds of MiB:
//! freed, its memory stays resident, and a vector that grows to such sizes leaves a trail of
//! them. On 30,000 near-identical articles (11 million candidate pairs), that put the peak at
//! 450 to 520 MiB where the system allocator peaked at 285 MiB. Mapped on their own, such
//! buffers go back to the system when freed, and grow in place or by moving their pages
//! (`mremap`), never by copying their bytes.

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

/// Buffers from this size on are mapped on their own. Measured peaks (2026-12-05): on the
/// family corpus above, 330 MiB at 16 MiB, 365 at 20, 405 at 32, 488 at 64; on a million
/// generated articles, 958 MiB at 16, 941 at 20, 914 at 32, 931 at 64 (924 with mimalloc
/// alone). Below some size, mimalloc's reuse of what it keeps wins.
#[cfg(target_os = "linux")]
const LARGE: usize = 20 << 20;

/// mimalloc, and the system's own mappings for large buffers.
pub(crate) struct Allocator;

#[cfg(target_os = "linux")]
mod large {
    use rustix::mm::{mmap_anonymous, mremap, munmap, MapFlags, MremapFlags, ProtFlags};
    use std::ffi::c_void;

    /// Whether a buffer of this layout is mapped on its own: large, and aligned no more than a
    /// page is.
    pub(super) fn is_large(size: usize, align: usize) -> bool {
        size >= super::LARGE && align <= page()
    }

    fn page() -> usize {
        rustix::param::page_size()
    }

    fn rounded(size: usize) -> usize {
        size.div_ceil(page()) * page()
    }

    /// # Safety
    /// As `GlobalAlloc::alloc`; the memory is zeroed.
    pub(super) unsafe fn map(size: usize) -> *mut u8 {
        let prot = ProtFlags::READ | ProtFlags::WRITE;
        // SAFETY: a fresh private mapping at an address the system picks touches nothing else.
        match unsafe {
            mmap_anonymous(std::ptr::null_mut(), rounded(size), prot, MapFlags::PRIVATE)
        } {
            Ok(p) => p.cast(),
            Err(_) => std::ptr::null_mut(),
        }
    }

    /// # Safety
    /// `ptr` came from [`map`] or [`remap`] with `size`.
    pub(super) unsafe fn unmap(ptr: *mut u8, size: usize) {
        // SAFETY: the caller's promise: the whole mapping, which no one uses any more.
        // Failing leaves the mapping in place, which leaks it but harms nothing.
        let _ = unsafe { munmap(ptr.cast::<c_void>(), rounded(size)) };
    }

    /// # Safety
    /// `ptr` came from [`map`] or [`remap`] with `old`.
    pub(super) unsafe fn remap(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        // SAFETY: the caller's promise; the old mapping is released only when this succeeds.
        match unsafe { mremap(ptr.cast(), rounded(old), rounded(new), MremapFlags::MAYMOVE) } {
            Ok(p) => p.cast(),
            Err(_) => std::ptr::null_mut(),
        }
    }
}

// SAFETY: every buffer is freed and resized by the allocator that made it: the layout passed
// back names its size, and the size alone tells which one that was.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if large::is_large(layout.size(), layout.align()) {
            // SAFETY: a size of at least LARGE bytes, an alignment a page satisfies.
            return unsafe { large::map(layout.size()) };
        }
        // SAFETY: as the caller promised.
        unsafe { MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if large::is_large(layout.size(), layout.align()) {
            // SAFETY: as in `alloc`; fresh mappings are zeroed.
            return unsafe { large::map(layout.size()) };
        }
        // SAFETY: as the caller promised.
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(target_os = "linux")]
        if large::is_large(layout.size(), layout.align()) {
            // SAFETY: a buffer of this layout was mapped by `alloc` or `realloc`.
            return unsafe { large::unmap(ptr, layout.size()) };
        }
        // SAFETY: a buffer of this layout came from mimalloc.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(target_os = "linux")]
        {
            let align = layout.align();
            let (was, will) = (
                large::is_large(layout.size(), align),
                large::is_large(new_size, align),
            );
            if was && will {
                // SAFETY: mapped by `alloc` or `realloc` with this size.
                return unsafe { large::remap(ptr, layout.size(), new_size) };
            }
            if was || will {
                // SAFETY: the new layout is valid (the caller promised its size); the old
                // buffer is copied, up to the smaller size, and freed by its own allocator.
                unsafe {
                    let new_layout = Layout::from_size_align_unchecked(new_size, align);
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    return new;
                }
            }
        }
        // SAFETY: as the caller promised; both sizes are mimalloc's.
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn buffers_cross_the_large_size_both_ways_intact() {
        let a = Allocator;
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: each pointer is used within its current size and freed once.
        unsafe {
            let p = a.alloc(small);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            // Small to large, large to larger, larger to small: the first 1,000 bytes stay.
            let sizes = [LARGE + 5, 3 * LARGE + 123, 700];
            let mut p = p;
            let mut layout = small;
            for size in sizes {
                p = a.realloc(p, layout, size);
                assert!(!p.is_null());
                layout = Layout::from_size_align(size, 8).unwrap();
                for i in 0..700 {
                    assert_eq!(*p.add(i), (i % 251) as u8, "byte {i} after {size}");
                }
                // The whole new size can be written.
                *p.add(size - 1) = 7;
            }
            a.dealloc(p, layout);
            let big = Layout::from_size_align(LARGE, 64).unwrap();
            let z = a.alloc_zeroed(big);
            assert!((0..LARGE).step_by(4096).all(|i| *z.add(i) == 0));
            a.dealloc(z, big);
        }
    }
}
