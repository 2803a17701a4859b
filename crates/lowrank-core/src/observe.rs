//! Progress reporting without I/O: solvers call an [`Observer`], the CLI draws the bar.

use std::ops::ControlFlow;

/// A progress event.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The phase running (`"power iteration"`, `"lanczos restart"`, …).
    pub phase: &'a str,
    /// Work units done in this phase.
    pub done: u64,
    /// Work units expected (an upper bound for iterative phases).
    pub total: u64,
}

/// Receives progress; returning `ControlFlow::Break(())` cancels the computation.
pub trait Observer {
    /// Called between steps of the algorithm.
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()>;
}

/// Ignores progress.
pub struct NoObserver;

impl Observer for NoObserver {
    fn progress(&mut self, _: &Progress<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}
