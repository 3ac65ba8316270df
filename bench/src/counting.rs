//! A counting global allocator: per-thread counts of allocations, reallocations,
//! frees and bytes, so a measurement on one thread is not disturbed by a sink or a
//! proxy running on another.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to the system allocator and counts on the calling thread.
pub struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static REALLOCS: Cell<u64> = const { Cell::new(0) };
    static FREES: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn bump(c: &'static std::thread::LocalKey<Cell<u64>>, n: u64) {
    // `try_with`: a thread being torn down has no counters any more.
    let _ = c.try_with(|c| c.set(c.get().wrapping_add(n)));
}

fn live(delta: i64) {
    let _ = LIVE.try_with(|c| c.set(c.get().wrapping_add(delta)));
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// thread-local `Cell`s with constant initialisers and no destructors, so counting
// never allocates and never re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, 1);
        bump(&BYTES, layout.size() as u64);
        live(layout.size() as i64);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, 1);
        bump(&BYTES, layout.size() as u64);
        live(layout.size() as i64);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&FREES, 1);
        live(-(layout.size() as i64));
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS, 1);
        bump(&BYTES, new_size.saturating_sub(layout.size()) as u64);
        live(new_size as i64 - layout.size() as i64);
        System.realloc(ptr, layout, new_size)
    }
}

/// The calling thread's counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Allocations (alloc and alloc_zeroed).
    pub allocs: u64,
    /// Reallocations.
    pub reallocs: u64,
    /// Frees.
    pub frees: u64,
    /// Bytes requested by allocations plus growth by reallocations.
    pub bytes: u64,
    /// Bytes allocated and not yet freed by this thread.
    pub live: i64,
}

/// The calling thread's counters now.
pub fn snapshot() -> Snapshot {
    Snapshot {
        allocs: ALLOCS.with(Cell::get),
        reallocs: REALLOCS.with(Cell::get),
        frees: FREES.with(Cell::get),
        bytes: BYTES.with(Cell::get),
        live: LIVE.with(Cell::get),
    }
}

impl Snapshot {
    /// What happened on this thread between `earlier` and `self`.
    pub fn since(self, earlier: Snapshot) -> Snapshot {
        Snapshot {
            allocs: self.allocs - earlier.allocs,
            reallocs: self.reallocs - earlier.reallocs,
            frees: self.frees - earlier.frees,
            bytes: self.bytes - earlier.bytes,
            live: self.live - earlier.live,
        }
    }

    /// Adds another delta to this one.
    pub fn add(&mut self, d: Snapshot) {
        self.allocs += d.allocs;
        self.reallocs += d.reallocs;
        self.frees += d.frees;
        self.bytes += d.bytes;
        self.live += d.live;
    }
}

/// Runs `f` once and returns what it allocated on this thread, with its result.
pub fn measure<T>(f: impl FnOnce() -> T) -> (Snapshot, T) {
    let before = snapshot();
    let out = f();
    (snapshot().since(before), out)
}
