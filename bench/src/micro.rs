//! The registry of in-process operations that are timed, allocation-counted and
//! instruction-counted by id (the same closure for all three).

use crate::counting::{self, Snapshot};
use crate::timing::{best_ns, Effort};

/// One operation: `make(n)` builds its state (outside any measurement) for at most
/// `n` calls and returns the call. Every call checks its own result, so no
/// measurement is of a no-op.
pub struct Op {
    /// Stable id, used on the callgrind child's command line.
    pub id: &'static str,
    /// Builds the call.
    pub make: fn(usize) -> Box<dyn FnMut()>,
}

/// Every operation of every module, for the callgrind child.
pub fn all_ops() -> Vec<Op> {
    let mut v = crate::parse::ops();
    v.extend(crate::encode::ops());
    v.extend(crate::alloc::ops());
    v.extend(crate::throughput::ops());
    v
}

/// Looks an op up by id.
pub fn find(id: &str) -> Option<Op> {
    all_ops().into_iter().find(|o| o.id == id)
}

/// Nanoseconds per call of the op (best of samples, after a warm-up).
pub fn time_op(effort: &Effort, id: &str) -> f64 {
    let op = find(id).expect("known op");
    let mut call = (op.make)(usize::MAX);
    best_ns(effort, &mut *call)
}

/// What one steady-state call allocates: the 3rd call of a fresh state.
pub fn allocs_op(id: &str) -> Snapshot {
    let op = find(id).expect("known op");
    let mut call = (op.make)(3);
    call();
    call();
    counting::measure(&mut call).0
}
