//! A global allocator that counts the heap bytes the current thread holds, for the
//! drivers' memory tests (`smtp-io-std/tests/memory.rs`,
//! `smtp-io-tokio/tests/memory.rs`, which include this file by path). Per thread, so
//! a scripted server in its own thread is not counted; a block freed on another
//! thread than the one that took it is not seen (the drivers free their own).
//! Allocation sizes are deterministic, so tests assert on them exactly.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator; install it with `#[global_allocator]`.
pub struct Counting;

thread_local! {
    /// Heap bytes this thread allocated and not yet freed.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(delta: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a side note.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) };
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap bytes the current thread holds now (compare two readings).
pub fn live() -> isize {
    LIVE.with(Cell::get)
}
