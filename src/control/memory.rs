//! Giving memory freed by a reload back to the operating system, and
//! keeping large blocks out of glibc's heaps.
//!
//! The allocator is glibc's on purpose. Measured with
//! `SKIP_KNOT=1 RECORDS=100000 benches/zone_1m.sh` (100k-record zone, 3
//! edits), VmRSS after load / after 3 reloads (peak): glibc with this
//! module 140 / 148 MB (411 MB); mimalloc 0.1 331 / 407 MB (511 MB), and
//! with `MIMALLOC_PURGE_DELAY=0` 146 / 149 MB (430 MB); jemalloc
//! (tikv-jemallocator 0.7) 384 / 561 MB (700 MB), and with dirty and muzzy
//! decay 0 144 / 152 MB (429 MB). Neither returns less memory after
//! reloads, both peak higher, and both would add a C dependency, so they
//! are not used.
//!
//! Invariant: the `unsafe` calls of the control plane live here, and they
//! have no preconditions.

#![allow(unsafe_code)]

/// Hands memory freed by a reload back to the system. glibc keeps freed
/// blocks in per-thread arenas, and the updater runs on whichever runtime
/// thread is free, so without this every arena ends up holding an old copy
/// of the tables (a 100k-record zone grew from 263 MB to 584-925 MB RSS
/// over five reloads).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it has no
    // preconditions and may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Large blocks (at least this many bytes) are mapped and unmapped on
/// their own: glibc's initial threshold, frozen.
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Freezes glibc's mmap threshold. By default it rises to the size of
/// every mapped block freed (up to 32 MiB), after which blocks of that size
/// come from the per-thread heaps and stay there: a probe of garbage DNS
/// packets (each parse may allocate a large vector for a made-up question
/// count) grew the process from 9 MB to about 20 MB that way and kept it.
/// Setting the threshold turns the adjustment off; the trim threshold then
/// stays at its 128 KiB default too.
pub fn bound_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a glibc allocator parameter; it has no
    // preconditions and may be called from any thread at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
