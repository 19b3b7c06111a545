//! The `alwayson` binary: parse the command line, run, map the outcome to an exit code.
//!
//! The allocator is jemalloc, set to hand freed pages back at once: after
//! reloads of a 1M-record zone it holds 1.06× the memory of the first load
//! where glibc's allocator held 1.6× (figures in `control::memory`).

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads once when it starts: freed pages go
/// back to the system at once instead of after 10 s, so a reload's old
/// table is returned when it is dropped.
#[allow(unsafe_code)]
// SAFETY: the one definition of the symbol jemalloc reads its options
// from (`malloc_conf`, with the prefix of tikv-jemalloc-sys): a pointer to
// a NUL-terminated string that lives as long as the process.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8; 34] = b"dirty_decay_ms:0,muzzy_decay_ms:0\0";

fn main() -> std::process::ExitCode {
    alwayson::cli::run()
}
