//! Giving memory freed by a reload back to the operating system, and
//! keeping large blocks out of glibc's heaps.
//!
//! The binary's allocator is jemalloc with `dirty_decay_ms:0,
//! muzzy_decay_ms:0` (`main.rs`); the glibc calls below then only matter
//! where the library runs on glibc's allocator (the tests). Measured with
//! `SKIP_KNOT=1 benches/zone_1m.sh`, VmRSS after load / after 3 reloads
//! (peak), on a loaded 2-core machine:
//!
//! | allocator | 100k records | 1M records |
//! | --- | --- | --- |
//! | glibc, trimmed here | 140 / 148 MB (411) | 1333 / 2128 MB (4010) |
//! | jemalloc, decay 0 | 144 / 152 MB (429) | 1351 / 1429 MB (4196) |
//! | jemalloc, default decay (10 s) | 384 / 561 MB (700) | |
//! | mimalloc, `MIMALLOC_PURGE_DELAY=0` | 146 / 149 MB (430) | 1337 / 1426 MB (4168) |
//! | mimalloc, default | 331 / 407 MB (511) | |
//!
//! glibc fragments on large zones (1.6× after three reloads of 1M
//! records); jemalloc and mimalloc with immediate purging stay within
//! 1.07×. jemalloc's option can be set in the binary (mimalloc's needs an
//! FFI call by option number), and its times were glibc's (1M: 28.6 s to
//! the first answer and 54 s per edit, glibc 23.9 s and 55 s; mimalloc
//! 38.9 s and 78 s), so it is the one used.
//!
//! Purging at once costs page faults while a zone loads (about a fifth of
//! the profile), so a longer decay was measured again once the load path
//! kept one model of a zone (200k records, first answer / RSS after load):
//! decay 0 2.01 s / 185 MB; `dirty_decay_ms:10000` 1.83 s / 405 MB;
//! `background_thread:true,dirty_decay_ms:1000` 2.04 s / 241 MB. The time
//! gained is small and the memory is not given back, so decay 0 stays.
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
