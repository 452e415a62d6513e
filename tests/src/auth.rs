//! Credentials for the authentication tests, made by tools outside ringgate
//! so the gateway is checked against what real issuers produce: API key
//! digests by `sha256sum` (as the docs tell operators), bcrypt htpasswd
//! lines by Apache's `htpasswd -nbB`, JWTs signed and JWKs written by
//! Python's PyJWT (with `cryptography`) from the test-only openssl keys of
//! `fixtures/auth/` (see the README there). A missing tool fails the test
//! with the command that installs it (`.ci/run` installs them all).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tempfile::TempDir;

use crate::process::{run, Finished};

/// The path of fixture `name` in `tests/fixtures/auth/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/auth")
        .join(name)
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

/// `htpasswd -nbB -C 4 USER PASSWORD`: an htpasswd line with a bcrypt
/// hash (`$2y$`, cost 4: the tests need speed, not strength).
pub fn htpasswd_line(user: &str, password: &str) -> String {
    let out = run(
        Command::new("sh").args([
            "-c",
            "command -v htpasswd >/dev/null || { echo 'htpasswd is missing: apt-get install apache2-utils (see .ci/run)' >&2; exit 127; }; htpasswd -nbB -C 4 \"$1\" \"$2\"",
            "sh",
            user,
            password,
        ]),
        Duration::from_secs(10),
    );
    out.assert_success("htpasswd -nbB");
    let line = out.stdout_text().trim().to_owned();
    assert!(
        line.starts_with(&format!("{user}:$2y$04$")),
        "unexpected htpasswd output {line:?}"
    );
    format!("{line}\n")
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Python prelude: PyJWT and cryptography, or a clear failure.
const PYJWT: &str = r#"
import json, sys
try:
    import jwt
    from cryptography.hazmat.primitives import serialization
except ImportError as e:
    sys.exit("PyJWT and cryptography are needed: python3 -m pip install pyjwt==2.15.1 cryptography==48.0.0 (see .ci/run): %s" % e)
"#;

fn pyjwt(body: &str, args: &[&str]) -> String {
    let out: Finished = crate::process::python(&format!("{PYJWT}{body}"), args);
    out.assert_success("python3 with PyJWT");
    out.stdout_text().trim().to_owned()
}

/// A JWT over `claims` signed by PyJWT with `alg` (`RS256`, `ES256`,
/// `EdDSA`, ...) and the private key in fixture `key_file` (PKCS#8 PEM
/// made by openssl), with `kid` in its header when given.
pub fn sign(alg: &str, key_file: &str, kid: Option<&str>, claims: &Value) -> String {
    let key = fixture(key_file).display().to_string();
    pyjwt(
        r#"
alg, key_path, kid, claims = sys.argv[1:5]
key = open(key_path, "rb").read()
headers = {"kid": kid} if kid else None
print(jwt.encode(json.loads(claims), key, algorithm=alg, headers=headers))
"#,
        &[alg, &key, kid.unwrap_or(""), &claims.to_string()],
    )
}

/// An unsigned (`alg: none`) JWT over `claims`, made by PyJWT.
pub fn unsigned(claims: &Value) -> String {
    pyjwt(
        r#"print(jwt.encode(json.loads(sys.argv[1]), None, algorithm="none"))"#,
        &[&claims.to_string()],
    )
}

/// The public key in fixture `pub_pem` as a JWK with `kid` and `alg`,
/// written by PyJWT.
pub fn jwk(pub_pem: &str, kid: &str, alg: &str) -> String {
    let pem = fixture(pub_pem).display().to_string();
    pyjwt(
        r#"
pem_path, kid, alg = sys.argv[1:4]
key = serialization.load_pem_public_key(open(pem_path, "rb").read())
family = {"RS": jwt.algorithms.RSAAlgorithm, "ES": jwt.algorithms.ECAlgorithm, "Ed": jwt.algorithms.OKPAlgorithm}[alg[:2]]
d = family.to_jwk(key, as_dict=True)
d.update({"kid": kid, "alg": alg, "use": "sig"})
print(json.dumps(d))
"#,
        &[&pem, kid, alg],
    )
}

/// A JWKS document holding `keys` (JWKs as from [`jwk`]).
pub fn jwks(keys: &[String]) -> String {
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
