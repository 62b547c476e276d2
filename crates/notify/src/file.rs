//! The embedded default mailer: each email becomes an `.eml` file in a folder.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Email, MailError, Mailer};

/// Writes each email as an RFC 5322 `.eml` file (openable in any mail client) into a
/// folder, creating the folder if it is missing.
///
/// Files are named `{UTC time of first write}--{Message-ID}.eml`, so a listing sorts by
/// time and two emails never share a file. A retry of the same `Message-ID` replaces
/// its earlier file rather than adding one. Each file is written to a temporary file,
/// flushed to disk and renamed into place, so a reader never sees half an email. Files
/// are readable by their owner only: they quote clients.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    /// A mailer writing into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileMailer { dir: dir.into() }
    }

    /// The folder emails are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = email.to_message()?;
        let key = file_key(&email.checked_message_id()?);
        let bytes = message.formatted();
        let dir = self.dir.clone();
        let now = Utc::now();
        let path = tokio::task::spawn_blocking(move || write_eml(&dir, &key, now, &bytes))
            .await
            .map_err(|e| MailError::transient(format!("the file writer stopped: {e}")))?
            .map_err(|e| {
                MailError::transient(format!(
                    "cannot write an email into {}: {e}",
                    self.dir.display()
                ))
            })?;
        tracing::info!(
            email_message_id = %email.message_id,
            path = %path.display(),
            "notification email written"
        );
        Ok(())
    }

    fn describe(&self) -> String {
        format!(".eml files in {}", self.dir.display())
    }
}

/// Writes `bytes` as the email file for `key`, replacing an earlier file of the same
/// key, and returns its path.
fn write_eml(dir: &Path, key: &str, now: DateTime<Utc>, bytes: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let name = match existing_file(dir, key)? {
        Some(name) => name,
        None => format!("{}--{key}.eml", now.format("%Y%m%dT%H%M%S%.6fZ")),
    };
    let path = dir.join(name);
    let mut temp = tempfile::Builder::new()
        .prefix(".casewire-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}

/// The name of the file already written for `key`, if any. The time prefix holds no
/// dashes, so the first `--` ends it.
fn existing_file(dir: &Path, key: &str) -> io::Result<Option<String>> {
    let wanted = format!("{key}.eml");
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(name) = name.to_str() {
            if name
                .split_once("--")
                .is_some_and(|(_, rest)| rest == wanted)
            {
                return Ok(Some(name.to_owned()));
            }
        }
    }
    Ok(None)
}

/// A file-name-safe, one-to-one spelling of a `Message-ID`: brackets dropped, letters,
/// digits, `.` and `-` kept, every other byte written as `_` and two hex digits
/// (`<casewire-42@smithlaw.com>` becomes `casewire-42_40smithlaw.com`).
fn file_key(message_id: &str) -> String {
    let bare = message_id.strip_prefix('<').unwrap_or(message_id);
    let bare = bare.strip_suffix('>').unwrap_or(bare);
    let mut key = String::with_capacity(bare.len());
    for b in bare.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            key.push(char::from(b));
        } else {
            key.push_str(&format!("_{b:02X}"));
        }
    }
    // A key never starts with a dot, so it cannot name a hidden or a temporary file.
    if key.starts_with('.') {
        key.replace_range(..1, "_2E");
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::tests::sample;
    use mail_parser::{MessageParser, MimeHeaders};
    use proptest::prelude::*;

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[tokio::test]
    async fn an_email_becomes_an_eml_file_any_mail_client_can_open() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("mail").join("outbox");
        let mailer = FileMailer::new(&folder);
        mailer
            .send(&sample("<casewire-42@smithlaw.com>"))
            .await
            .unwrap();

        let files = eml_files(&folder);
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with("--casewire-42_40smithlaw.com.eml"), "{name}");

        let raw = fs::read(&files[0]).unwrap();
        let parsed = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            parsed.subject(),
            Some("Text from Maria Rivera — case 24-10345")
        );
        assert_eq!(parsed.message_id(), Some("casewire-42@smithlaw.com"));
        let from = parsed.from().and_then(|a| a.first()).unwrap();
        assert_eq!(from.address(), Some("notify@smithlaw.com"));
        assert_eq!(from.name(), Some("Casewire"));
        let to = parsed.to().and_then(|a| a.first()).unwrap();
        assert_eq!(to.address(), Some("intake@smithlaw.com"));
        assert!(parsed.date().is_some());
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        let content_type = parsed.content_type().unwrap();
        assert_eq!(content_type.ctype(), "multipart");
        assert_eq!(content_type.subtype(), Some("alternative"));
        assert!(
            parsed
                .body_text(0)
                .unwrap()
                .contains("> Can I bring my pay stubs on Friday?")
        );
        assert_eq!(
            parsed.body_html(0).unwrap(),
            "<p>Can I bring my pay stubs on Friday?</p>"
        );
    }

    #[tokio::test]
    async fn a_retried_email_replaces_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = FileMailer::new(dir.path());
        let mut email = sample("<casewire-42@smithlaw.com>");
        mailer.send(&email).await.unwrap();
        let first = eml_files(dir.path());

        email.subject = "Second attempt".to_owned();
        mailer.send(&email).await.unwrap();
        let second = eml_files(dir.path());

        assert_eq!(first, second, "one file, same name");
        let raw = fs::read(&second[0]).unwrap();
        let parsed = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(parsed.subject(), Some("Second attempt"));
    }

    #[tokio::test]
    async fn emails_sort_by_the_time_they_were_written() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = FileMailer::new(dir.path());
        // Ids that sort the other way round from the order they are sent in.
        for id in ["<c@smithlaw.com>", "<b@smithlaw.com>", "<a@smithlaw.com>"] {
            mailer.send(&sample(id)).await.unwrap();
        }
        let names: Vec<String> = eml_files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names[0].ends_with("--c_40smithlaw.com.eml"), "{names:?}");
        assert!(names[1].ends_with("--b_40smithlaw.com.eml"), "{names:?}");
        assert!(names[2].ends_with("--a_40smithlaw.com.eml"), "{names:?}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn only_the_owner_can_read_an_email_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        FileMailer::new(dir.path())
            .send(&sample("<casewire-42@smithlaw.com>"))
            .await
            .unwrap();
        let file = &eml_files(dir.path())[0];
        let mode = fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[tokio::test]
    async fn a_bad_message_id_is_refused_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = FileMailer::new(dir.path());
        let err = mailer.send(&sample("../../etc/passwd")).await.unwrap_err();
        assert!(!err.is_transient(), "{err}");
        assert!(eml_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn an_unwritable_folder_is_worth_retrying() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-folder");
        fs::write(&blocker, b"").unwrap();
        let mailer = FileMailer::new(&blocker);
        let err = mailer
            .send(&sample("<casewire-1@smithlaw.com>"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
    }

    #[test]
    fn describe_names_the_folder() {
        assert_eq!(
            FileMailer::new("/var/lib/casewire/mail").describe(),
            ".eml files in /var/lib/casewire/mail"
        );
    }

    #[test]
    fn file_keys_are_readable_and_safe() {
        let cases = [
            ("<casewire-42@smithlaw.com>", "casewire-42_40smithlaw.com"),
            ("<a_b@x.y>", "a_5Fb_40x.y"),
            ("<a/b@x.y>", "a_2Fb_40x.y"),
            ("<.hidden@x.y>", "_2Ehidden_40x.y"),
        ];
        for (id, want) in cases {
            assert_eq!(file_key(id), want, "{id:?}");
        }
    }

    proptest! {
        #[test]
        fn file_keys_are_plain_names_and_one_to_one(
            a in "[!-;=?-~]{1,30}@[a-z.]{1,10}",
            b in "[!-;=?-~]{1,30}@[a-z.]{1,10}",
        ) {
            let (ka, kb) = (file_key(&format!("<{a}>")), file_key(&format!("<{b}>")));
            prop_assert!(ka.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c)));
            prop_assert!(!ka.starts_with('.'));
            prop_assert_eq!(ka == kb, a == b);
        }
    }
}
