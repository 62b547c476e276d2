//! The `casewire-server` command line: its help, how it refuses a bad configuration, and
//! that `firm create` writes a firm whole or not at all. (The HTTP surface is tested
//! black-box in the `casewire-tests` package, which runs this binary.)
#![allow(clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::atomic::{AtomicU32, Ordering},
};

/// A scratch folder for one test's database, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "casewire-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with a configuration of only `vars` plus a database and mail folder in
/// `dir`; the caller's own `CASEWIRE_*` variables are removed.
fn casewire(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casewire-server"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CASEWIRE_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .env(
            "CASEWIRE_DATABASE_URL",
            format!("sqlite://{}", dir.join("casewire.db").display()),
        )
        .env("CASEWIRE_EMAIL_DIR", dir.join("mail"))
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn create_firm<'a>(numbers: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "firm",
        "create",
        "--name",
        "Rivera Law",
        "--time-zone",
        "America/Chicago",
        "--notification-email",
        "intake@riveralaw.example",
    ];
    for number in numbers {
        args.extend(["--texting-number", number]);
    }
    args
}

#[test]
fn help_lists_the_subcommands() {
    let dir = Scratch::new();
    let out = casewire(dir.path(), &[], &["--help"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for command in ["serve", "migrate", "firm", "simulate-inbound"] {
        assert!(
            help.contains(command),
            "--help does not list {command}:\n{help}"
        );
    }
}

#[test]
fn an_invalid_configuration_value_is_refused_by_name_before_anything_starts() {
    let dir = Scratch::new();
    let out = casewire(
        dir.path(),
        &[("CASEWIRE_WORKER_ENABLED", "maybe")],
        &["migrate"],
    );
    assert!(!out.status.success(), "accepted WORKER_ENABLED=maybe");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("CASEWIRE_WORKER_ENABLED") && stderr.contains("maybe"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("casewire.db").exists(),
        "a database was created despite the bad configuration"
    );
}

#[test]
fn a_firm_with_an_invalid_texting_number_is_not_written() {
    let dir = Scratch::new();
    let out = casewire(dir.path(), &[], &create_firm(&["+14155550100", "555-12"]));
    assert!(!out.status.success(), "created a firm texting from 555-12");
    assert!(
        !text(&out.stdout).contains("api_key="),
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("texting_numbers[1].number"), "{stderr}");

    // The firm's valid number was not kept either: nobody texts from it.
    let inbound = [
        "simulate-inbound",
        "--from",
        "+13125550134",
        "--to",
        "+14155550100",
        "--body",
        "Hello?",
    ];
    let out = casewire(dir.path(), &[], &inbound);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("no firm texts from"),
        "{}",
        text(&out.stderr)
    );

    // Created properly, the firm is the first one and receives the text.
    let out = casewire(dir.path(), &[], &create_firm(&["+14155550100"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|l| l == "firm_id=1"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("api_key=")),
        "{stdout}"
    );
    let out = casewire(dir.path(), &[], &inbound);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("the unmatched inbox"),
        "{}",
        text(&out.stdout)
    );
}
