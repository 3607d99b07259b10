//! fd 3: where DevLake reads a plugin's results, one JSON message per line.

use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;

/// The result channel.
pub struct Output {
    sink: Sink,
}

enum Sink {
    Fd(File),
    Memory(std::rc::Rc<std::cell::RefCell<Vec<u8>>>),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

/// Whether a file descriptor is open.
pub fn fd_is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

impl Output {
    /// fd 3, if the process has it open.
    pub fn fd3() -> Option<Output> {
        if !fd_is_open(3) {
            return None;
        }
        // SAFETY: fd 3 is open and owned by this process for its whole life; nothing
        // else in the runtime uses it.
        Some(Output {
            sink: Sink::Fd(unsafe { File::from_raw_fd(3) }),
        })
    }

    /// An in-memory channel (tests, `cargo devlake info`).
    pub fn memory() -> (Output, std::rc::Rc<std::cell::RefCell<Vec<u8>>>) {
        let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        (
            Output {
                sink: Sink::Memory(buf.clone()),
            },
            buf,
        )
    }

    /// Writes one message as a line; one `write` per message so DevLake sees whole lines.
    pub fn send<T: Serialize>(&mut self, msg: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(msg)?;
        line.push(b'\n');
        match &mut self.sink {
            Sink::Fd(f) => f.write_all(&line),
            Sink::Memory(b) => {
                b.borrow_mut().extend_from_slice(&line);
                Ok(())
            }
        }
    }
}
