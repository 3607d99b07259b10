//! Attaching a debugger to a plugin process that DevLake starts: `DEVLAKE_DEBUG_WAIT=1`
//! makes the process print its pid and stop itself until it is continued.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The state letter of a process (`T` when stopped), from /proc/<pid>/stat.
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // The state follows the command name, which is in parentheses.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        .unwrap_or('?')
}

#[test]
fn debug_wait_stops_the_plugin_until_it_is_continued() {
    let run_sh = devlake_e2e::build_example("fakeplugin");
    let dir = run_sh.parent().unwrap().to_path_buf();
    let out = tempfile::NamedTempFile::new().unwrap();
    // DevLake reads results from fd 3; a shell opens it on a file and execs the plugin,
    // so the pid the plugin prints is the one we spawned.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$@\" 3>\"$FD3_FILE\"")
        .arg(dir.join("bin/fakeplugin"))
        .args(["plugin-info", r#"{"log_level":"info"}"#])
        .current_dir(&dir)
        .env("DEVLAKE_PLUGIN_DIR", &dir)
        .env("DEVLAKE_DEBUG_WAIT", "1")
        .env("FD3_FILE", out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the plugin");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let pid: u32 = line
        .trim()
        .strip_prefix("fake: waiting for a debugger: pid ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid line on stderr: {line:?}"));
    assert_eq!(pid, child.id());
    // The line is printed just before the process stops itself: wait for the stop.
    let mut st = state(pid);
    for _ in 0..500 {
        if st == 'T' {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        st = state(pid);
    }
    assert_eq!(st, 'T', "the plugin did not stop itself");
    assert!(
        std::fs::read_to_string(out.path()).unwrap().is_empty(),
        "nothing runs before the debugger continues"
    );

    let cont = Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(cont.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let info: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(out.path()).unwrap().trim()).unwrap();
    assert_eq!(info["name"], "fake");
}
