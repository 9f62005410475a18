//! Results on stdout without panicking when the reader goes away: `insights diff --json | head`
//! closes the pipe early, and the command then stops writing quietly and keeps its exit code.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout is closed (or fails): later output is dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line on stdout; a closed stdout (broken pipe) stops all further output quietly.
pub fn line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    if let Err(error) = written {
        CLOSED.store(true, Ordering::Relaxed);
        if error.kind() != ErrorKind::BrokenPipe {
            tracing::warn!("cannot write on stdout: {error}");
        }
    }
}

/// `println!` for results: see [`line`].
macro_rules! outln {
    () => {
        $crate::commands::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::commands::output::line(format_args!($($arg)*))
    };
}

pub(crate) use outln;
