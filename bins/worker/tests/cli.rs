//! The `casewire-worker` command line: its help, and how it refuses a bad configuration
//! before it touches a database. (What it does with reminders is tested black-box in the
//! `casewire-tests` package, which runs this binary against PostgreSQL.)
#![allow(clippy::unwrap_used)]

use std::{
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// What the binary did with exactly `vars` as its configuration (the caller's own
/// `CASEWIRE_*` variables removed) and `args`: exit success, stdout, stderr. A worker
/// that does not exit within a few seconds is killed and fails the test, since a bad
/// configuration must stop it at once.
fn worker(vars: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let scratch = std::env::temp_dir().join(format!("casewire-worker-cli-{}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_casewire-worker"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CASEWIRE_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    let mut child = command
        // Should the configuration be accepted after all, nothing lands in the
        // working directory.
        .env(
            "CASEWIRE_DATABASE_URL",
            format!("sqlite://{}", scratch.join("casewire.db").display()),
        )
        .env("CASEWIRE_EMAIL_DIR", scratch.join("mail"))
        .envs(vars.iter().copied())
        .args(["--metrics-listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&scratch);
            panic!("casewire-worker {args:?} with {vars:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    (status.success(), stdout, stderr)
}

#[test]
fn help_describes_the_worker_and_its_metrics_listener() {
    let (ok, stdout, stderr) = worker(&[], &["--help"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("reminders"), "{stdout}");
    assert!(stdout.contains("--metrics-listen"), "{stdout}");
    assert!(stdout.contains("--config"), "{stdout}");
}

#[test]
fn a_bad_value_stops_the_worker_before_it_starts_and_names_the_variable() {
    let cases = [
        ("CASEWIRE_WORKER_BATCH", "fifty"),
        ("CASEWIRE_WORKER_LEASE_SECS", "2s"),
        ("CASEWIRE_WORKER_IDLE_MS", "soon"),
        ("CASEWIRE_WORKER_RATE_LIMITS", "maybe"),
        ("CASEWIRE_DATABASE_MAX_CONNECTIONS", "many"),
    ];
    for (var, value) in cases {
        let (ok, stdout, stderr) = worker(&[(var, value)], &[]);
        assert!(!ok, "{var}={value} was accepted");
        assert!(stderr.contains(var), "{var}={value}: {stderr}");
        assert!(stderr.contains(value), "{var}={value}: {stderr}");
        assert_eq!(stdout, "", "{var}={value}: it never said it was serving");
    }
}

#[test]
fn a_zero_batch_or_lease_and_twilio_without_credentials_are_refused() {
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("CASEWIRE_WORKER_BATCH", "0")], "worker.batch"),
        (&[("CASEWIRE_WORKER_LEASE_SECS", "0")], "worker.lease_secs"),
        (&[("CASEWIRE_PROVIDER", "twilio")], "[twilio]"),
    ];
    for (vars, named) in cases {
        let (ok, stdout, stderr) = worker(vars, &[]);
        assert!(!ok, "{vars:?} was accepted");
        assert!(stderr.contains(named), "{vars:?}: {stderr}");
        assert_eq!(stdout, "", "{vars:?}");
    }
}
