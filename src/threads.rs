//! Running out of threads or memory ends in a result or in exit 2 with a
//! message, never in a panic or an abort.
//!
//! A helper thread that cannot be started (a process limit, a small
//! `ulimit -v` that leaves no room for its stack) is not needed: its work is
//! done on the joining thread instead ([`spawn_or_defer`]). rayon's pool
//! falls back to fewer threads, down to the calling thread alone
//! ([`init_pool`]). An allocation that fails is reported by
//! [`ReportingAlloc`], naming what was being read ([`note_reading`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::thread::{Scope, ScopedJoinHandle};

/// Work handed to [`spawn_or_defer`]: running on its own thread, or waiting
/// in its slot to run on the joining thread.
pub struct Helper<'scope, T, F> {
    handle: Option<ScopedJoinHandle<'scope, Option<T>>>,
    slot: &'scope Mutex<Option<F>>,
}

/// Starts `f` on a thread of `scope`, or, when the system refuses one,
/// leaves it in `slot` for [`Helper::join`] to run on the joining thread.
pub fn spawn_or_defer<'scope, 'env, T, F>(
    scope: &'scope Scope<'scope, 'env>,
    slot: &'scope Mutex<Option<F>>,
    f: F,
) -> Helper<'scope, T, F>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    // The work waits in `slot` until a thread takes it: a refused spawn
    // drops only the thread's own closure, which holds a reference.
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    let handle = std::thread::Builder::new()
        .spawn_scoped(scope, move || take(slot).map(|f| f()))
        .ok();
    Helper { handle, slot }
}

fn take<F>(slot: &Mutex<Option<F>>) -> Option<F> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

impl<T, F: FnOnce() -> T> Helper<'_, T, F> {
    /// The work's result: from its thread (a panic there is passed on, as
    /// [`std::thread::ScopedJoinHandle::join`] does), or computed here.
    pub fn join(self) -> std::thread::Result<T> {
        if let Some(handle) = self.handle
            && let Some(out) = handle.join()?
        {
            return Ok(out);
        }
        match take(self.slot) {
            Some(f) => Ok(f()),
            None => Err(Box::new("the helper's work was lost")),
        }
    }
}

/// How many worker threads rayon's global pool will have: `RAYON_NUM_THREADS`
/// or the machine's parallelism, fewer when the system refuses some (rayon
/// would otherwise panic on the first parallel call). Each size is tried
/// with plain threads, started and joined, because the global pool can be
/// built only once, even when that fails.
pub fn pool_size() -> usize {
    let mut threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    while threads > 1 && !can_start(threads) {
        threads = threads.div_ceil(2).min(threads - 1);
    }
    threads
}

/// Builds rayon's global pool with `threads` workers ([`pool_size`]), or
/// says why even that many could not be had (the caller exits 2).
pub fn init_pool(threads: usize) -> Result<(), ThreadsError> {
    let built = if threads > 1 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()
    } else {
        // The calling thread as the one worker: no thread to start.
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .use_current_thread()
            .build_global()
    };
    built.map_err(|source| ThreadsError { threads, source })
}

/// Not even the worker threads [`pool_size`] settled on could be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source} (raise the limits: ulimit -v, ulimit -u)")]
pub struct ThreadsError {
    /// How many were asked for.
    pub threads: usize,
    /// rayon's reason.
    pub source: rayon::ThreadPoolBuildError,
}

/// Whether `n` threads can run at once now: each is started (kept alive
/// until all are), and all are joined, their stacks freed, before the answer.
fn can_start(n: usize) -> bool {
    let gate = Mutex::new(());
    std::thread::scope(|scope| {
        let closed = gate.lock().unwrap_or_else(|e| e.into_inner());
        let mut started = 0;
        for _ in 0..n {
            let spawned = std::thread::Builder::new().spawn_scoped(scope, || {
                drop(gate.lock());
            });
            if spawned.is_err() {
                break;
            }
            started += 1;
        }
        drop(closed);
        started == n
    })
}

/// What the process is reading, for the message of a failed allocation.
/// A fixed buffer: the report must not allocate.
static READING: Mutex<([u8; 512], usize)> = Mutex::new(([0; 512], 0));

/// Records what is being read now (`repo 'x' file y`), named if memory runs
/// out. Parallel reads name the one begun last.
pub fn note_reading(what: &str) {
    let mut r = READING.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = what.as_bytes();
    let n = bytes.len().min(r.0.len());
    r.0[..n].copy_from_slice(&bytes[..n]);
    r.1 = n;
}

/// The system allocator, reporting a failed allocation as exit 2 with a
/// message naming what was being read, where Rust's default handler aborts
/// (exit 134, "memory allocation failed").
pub struct ReportingAlloc;

fn out_of_memory(layout: Layout) -> ! {
    let mut msg = [0u8; 768];
    let mut len = 0;
    let mut put = |b: &[u8]| {
        let n = b.len().min(msg.len() - len);
        msg[len..len + n].copy_from_slice(&b[..n]);
        len += n;
    };
    put(b"error: out of memory (an allocation of ");
    let mut digits = [0u8; 20];
    let mut size = layout.size();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (size % 10) as u8;
        size /= 10;
        if size == 0 {
            break;
        }
    }
    put(&digits[at..]);
    put(b" bytes failed)");
    // try_lock: the failing allocation may come from a thread holding it.
    if let Ok(r) = READING.try_lock()
        && r.1 > 0
    {
        put(b" while reading ");
        put(&r.0[..r.1]);
    }
    put(b": raise the memory limit (ulimit -v) or give smaller limits (--max-decompressed-size)\n");
    // SAFETY: write(2) and _exit(2) on a stack buffer: no allocation, no
    // unwinding, nothing of the process's state is touched.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), len);
        libc::_exit(i32::from(crate::exit::ERROR))
    }
}

// SAFETY: every call goes to `System` unchanged; only a null result is
// handled, and then the process ends.
unsafe impl GlobalAlloc for ReportingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_work_runs_on_join() {
        type Work = Box<dyn FnOnce() -> usize + Send>;
        let slots: Vec<Mutex<Option<Work>>> = (0..3).map(|_| Mutex::new(None)).collect();
        let results: Vec<usize> = std::thread::scope(|scope| {
            let helpers: Vec<_> = slots
                .iter()
                .enumerate()
                .map(|(i, slot)| spawn_or_defer(scope, slot, Box::new(move || i * 10) as Box<_>))
                .collect();
            helpers.into_iter().map(|h| h.join().unwrap_or(usize::MAX)).collect()
        });
        assert_eq!(results, [0, 10, 20]);
        // As if the thread had been refused: the work is still in the slot.
        let slot: Mutex<Option<fn() -> i32>> = Mutex::new(Some(|| 7));
        let h = Helper {
            handle: None,
            slot: &slot,
        };
        assert_eq!(h.join().ok(), Some(7));
    }
}
