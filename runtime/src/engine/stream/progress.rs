//! Progress reporting: `{"increment":100,"current":N,"total":0}` every hundred records, as
//! pydevlake reports it, only for records already written.

use crate::plugin::RemoteProgress;

/// Records between two progress messages.
pub const PROGRESS_STEP: u64 = 100;

/// Counts records and emits progress messages.
pub struct Progress {
    current: u64,
    reported: u64,
    emit: Box<dyn FnMut(RemoteProgress)>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Progress({}/{})", self.reported, self.current)
    }
}

impl Progress {
    /// Progress that calls `emit` for each message.
    pub fn new(emit: impl FnMut(RemoteProgress) + 'static) -> Self {
        Progress {
            current: 0,
            reported: 0,
            emit: Box::new(emit),
        }
    }

    /// Progress that reports nothing.
    pub fn silent() -> Self {
        Progress::new(|_| {})
    }

    /// Records written so far.
    pub fn current(&self) -> u64 {
        self.current
    }

    /// Adds written records; emits one message per full step.
    pub fn add(&mut self, n: u64) {
        self.current += n;
        while self.current >= self.reported + PROGRESS_STEP {
            self.reported += PROGRESS_STEP;
            (self.emit)(RemoteProgress {
                increment: PROGRESS_STEP,
                current: self.reported,
                total: 0,
            });
        }
    }

    /// Counts from zero again (a subtask's transaction is run again after a deadlock):
    /// nothing more is reported until the count passes what was reported already, so
    /// messages stay monotonic and the total is the records of the run that committed.
    pub(crate) fn restart(&mut self) {
        self.current = 0;
    }

    /// Emits the remainder.
    pub fn finish(&mut self) {
        if self.current > self.reported {
            let inc = self.current - self.reported;
            self.reported = self.current;
            (self.emit)(RemoteProgress {
                increment: inc,
                current: self.current,
                total: 0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{cell::RefCell, rc::Rc};

    #[test]
    fn steps_of_a_hundred_then_the_rest() {
        let seen = Rc::new(RefCell::new(vec![]));
        let s = seen.clone();
        let mut p = Progress::new(move |m| s.borrow_mut().push((m.increment, m.current)));
        p.add(30);
        p.add(220);
        p.finish();
        assert_eq!(*seen.borrow(), vec![(100, 100), (100, 200), (50, 250)]);
    }

    #[test]
    fn a_restart_reports_neither_twice_nor_backwards() {
        let seen = Rc::new(RefCell::new(vec![]));
        let s = seen.clone();
        let mut p = Progress::new(move |m| s.borrow_mut().push((m.increment, m.current)));
        p.add(230);
        p.restart();
        p.add(250);
        p.finish();
        assert_eq!(p.current(), 250);
        assert_eq!(*seen.borrow(), vec![(100, 100), (100, 200), (50, 250)]);
    }
}
