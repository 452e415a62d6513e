//! Credentials for the authentication tests: a folder of auth files, API
//! key digests made with `sha256sum` as the docs tell operators to, bcrypt
//! htpasswd lines, and JWTs signed with the test-only keys of
//! `fixtures/auth/` (see the README there).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use tempfile::TempDir;

use crate::process::run;

/// The path of fixture `name` in `tests/fixtures/auth/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/auth")
        .join(name)
}

/// The text of fixture `name`.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("read fixture {name}: {e}"))
}

/// A temp folder for keys files, htpasswd files and key sets.
pub struct Files {
    dir: TempDir,
}

impl Files {
    /// An empty folder.
    pub fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes `name` and returns its absolute path as a string for TOML.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write auth file");
        path.display().to_string()
    }
}

impl Default for Files {
    fn default() -> Self {
        Files::new()
    }
}

/// `printf %s KEY | sha256sum`: the hex the API keys file holds.
pub fn sha256sum(key: &str) -> String {
    let out = run(
        Command::new("sh").args(["-c", "printf %s \"$1\" | sha256sum", "sh", key]),
        Duration::from_secs(10),
    );
    out.assert_success("sha256sum");
    out.stdout_text()
        .split_whitespace()
        .next()
        .expect("sha256sum output")
        .to_owned()
}

/// An htpasswd line for `user` with a bcrypt hash of `password` (cost 4:
/// the tests need speed, not strength).
pub fn htpasswd_line(user: &str, password: &str) -> String {
    format!("{user}:{}\n", bcrypt::hash(password, 4).expect("bcrypt"))
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A JWT over `claims` signed by the private key in fixture `key_file`.
pub fn sign(alg: Algorithm, key_file: &str, kid: Option<&str>, claims: &Value) -> String {
    let pem = std::fs::read(fixture(key_file)).expect("read private key");
    let key = match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
        _ => EncodingKey::from_rsa_pem(&pem),
    }
    .expect("private key");
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("sign token")
}

/// A JWKS document holding the JWK fixtures `names`.
pub fn jwks(names: &[&str]) -> String {
    let keys: Vec<String> = names.iter().map(|n| fixture_text(n)).collect();
    format!("{{\"keys\": [{}]}}", keys.join(","))
}

/// A one-shard gateway whose upstream `o` is `origin`, with `routes`
/// (`[[routes]]` tables) after it.
pub fn start_behind(origin: &crate::origin::Origin, routes: &str) -> crate::gateway::Gateway {
    crate::gateway::Gateway::start(&format!(
        "{}\n{routes}",
        crate::gateway::upstream("o", &[origin.addr()], "")
    ))
}

/// `curl -i ARGS`: the status, the head and the body.
pub fn curl_i(args: &[&str]) -> (u16, String, String) {
    let out = crate::process::curl(&[&["-i"], args].concat());
    out.assert_success("curl");
    let text = out.stdout_text();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// Asserts the origin saw exactly one `name` header, set by the gateway to
/// `value` (a client-sent copy was removed).
pub fn assert_identity(req: &crate::origin::Request, name: &str, value: &str) {
    assert_eq!(
        req.header_all(name),
        vec![value],
        "{name}: {:?}",
        req.headers
    );
}
