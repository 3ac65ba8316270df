//! The real servers `scripts/interop-servers.sh start` runs (tests/INTEROP.md), as the
//! interop suites of both drivers see them: ports, the test CA, and where each server
//! stores what it received.

use std::path::{Path, PathBuf};

/// Where the servers listen and store, from the `INTEROP_*` environment.
#[derive(Debug, Clone)]
pub struct Servers {
    /// The run directory.
    pub dir: PathBuf,
    /// The CA every TLS port's certificate chains to.
    pub ca: PathBuf,
}

/// A port from `INTEROP_<name>_PORT`, or its documented default.
pub fn port(name: &str, default: u16) -> u16 {
    std::env::var(format!("INTEROP_{name}_PORT"))
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

impl Servers {
    /// Reads the environment (defaults as in tests/INTEROP.md).
    pub fn from_env() -> Servers {
        let dir = PathBuf::from(
            std::env::var("INTEROP_DIR").unwrap_or_else(|_| "/tmp/smtp-engine-interop".into()),
        );
        let ca = std::env::var("INTEROP_CA")
            .map(PathBuf::from)
            .unwrap_or_else(|_| dir.join("tls/ca.pem"));
        Servers { dir, ca }
    }

    /// aiosmtpd's store.
    pub fn aiosmtpd_store(&self) -> PathBuf {
        self.dir.join("aiosmtpd")
    }
    /// Postfix smtpd's Maildir root (one directory per recipient).
    pub fn postfix_store(&self) -> PathBuf {
        self.dir.join("postfix/mail")
    }
    /// Exim's Maildir root.
    pub fn exim_store(&self) -> PathBuf {
        self.dir.join("exim/mail")
    }
    /// Dovecot's Maildir root.
    pub fn dovecot_store(&self) -> PathBuf {
        self.dir.join("dovecot/mail")
    }
}

/// Every message stored for `recipient` under a Maildir root (`<root>/<rcpt>/new/*`).
pub fn maildir_messages(root: &Path, recipient: &str) -> Vec<Vec<u8>> {
    let dir = root.join(recipient).join("new");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// The messages stored for `recipient`, waiting up to 15 s for at least `n`:
/// Postfix and Exim queue first and deliver a moment later.
pub fn wait_for_messages(root: &Path, recipient: &str, n: usize) -> Vec<Vec<u8>> {
    let start = std::time::Instant::now();
    loop {
        let found = maildir_messages(root, recipient);
        if found.len() >= n || start.elapsed() > std::time::Duration::from_secs(15) {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The newest aiosmtpd message whose recipients include `marker`.
pub fn aiosmtpd_message(store: &Path, marker: &str) -> Option<Vec<u8>> {
    let mut found = None;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(store)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.extension().is_some_and(|x| x == "rcpt")
            && std::fs::read_to_string(&p).is_ok_and(|t| t.contains(marker))
        {
            found = Some(p.with_extension("eml"));
        }
    }
    std::fs::read(found?).ok()
}

/// A recipient local part unique to this process and `tag`, so runs never collide.
pub fn unique(tag: &str, domain: &str) -> String {
    format!("{tag}-{}@{domain}", std::process::id())
}

/// True when `haystack` holds `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
