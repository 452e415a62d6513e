//! Target URLs and the request bytes sent to them.
//!
//! A URL is parsed once (`http[s]://host[:port]/path?query`), its host resolved
//! once on the main thread, and every request it stands for is rendered
//! once into a byte string that connections copy into their write buffer:
//! the hot loop never formats anything.

use std::net::{SocketAddr, ToSocketAddrs};

/// Why a URL or a header was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not `http://` or `https://` followed by a host.
    #[error("invalid URL \"{0}\": expected http[s]://host[:port]/path")]
    Url(String),
    /// The host did not resolve.
    #[error("cannot resolve \"{host}\": {reason}")]
    Resolve {
        /// host:port as given.
        host: String,
        /// The resolver's message.
        reason: String,
    },
    /// A `-H` argument that is not `Name: value`.
    #[error("invalid header \"{0}\": expected \"Name: value\"")]
    Header(String),
    /// A method that is not an HTTP token.
    #[error("invalid method \"{0}\"")]
    Method(String),
}

/// A parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host[:port]` as written (the Host header).
    pub authority: String,
    /// The host without brackets or port.
    pub host: String,
    /// The port (80 by default, 443 for https).
    pub port: u16,
    /// Path and query, `/` at least.
    pub path: String,
    /// `https://`.
    pub tls: bool,
}

impl Url {
    /// Parse `http[s]://host[:port][/path]`.
    pub fn parse(s: &str) -> Result<Url, TargetError> {
        let bad = || TargetError::Url(s.to_string());
        let (rest, tls) = if let Some(r) = strip_prefix_ci(s, "http://") {
            (r, false)
        } else if let Some(r) = strip_prefix_ci(s, "https://") {
            (r, true)
        } else {
            return Err(bad());
        };
        let default_port = if tls { 443 } else { 80 };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes().get(i) == Some(&b'?') => {
                (&rest[..i], format!("/{}", &rest[i..]))
            }
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let path = path.split('#').next().unwrap_or("/").to_string();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(bad)?;
            let port = match &v6[end + 1..] {
                "" => default_port,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(bad)?,
            };
            (v6[..end].to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(bad());
        }
        Ok(Url {
            authority: authority.to_string(),
            host,
            port,
            path,
            tls,
        })
    }

    /// `host:port` (brackets around IPv6), for messages.
    pub fn peer(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Resolve to the first socket address (on the calling thread).
    pub fn resolve(&self) -> Result<SocketAddr, TargetError> {
        let err = |reason: String| TargetError::Resolve {
            host: self.authority.clone(),
            reason,
        };
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| err(e.to_string()))?
            .next()
            .ok_or_else(|| err("no address".into()))
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// What goes into every request besides the URL.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body (sent with Content-Length when non-empty or when the method usually has one).
    pub body: Vec<u8>,
    /// Add `Connection: close`.
    pub close: bool,
}

/// Split a `-H` argument into name and value.
pub fn parse_header(s: &str) -> Result<(String, String), TargetError> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| TargetError::Header(s.into()))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_tchar) || value.contains(['\r', '\n']) {
        return Err(TargetError::Header(s.into()));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Check a method is a token.
pub fn check_method(m: &str) -> Result<(), TargetError> {
    if m.is_empty() || !m.bytes().all(is_tchar) {
        return Err(TargetError::Method(m.into()));
    }
    Ok(())
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// One pre-rendered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The request as it goes on the wire: head and body.
    pub bytes: Vec<u8>,
    /// Whether it is a HEAD request (its response has no body).
    pub is_head: bool,
}

/// Render the request for `url`.
pub fn render(url: &Url, spec: &RequestSpec) -> Rendered {
    let mut out = Vec::with_capacity(128 + spec.body.len());
    out.extend_from_slice(spec.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let has = |name: &str| {
        spec.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has("host") {
        push_header(&mut out, "Host", &url.authority);
    }
    for (n, v) in &spec.headers {
        push_header(&mut out, n, v);
    }
    let sends_body =
        !spec.body.is_empty() || matches!(spec.method.as_str(), "POST" | "PUT" | "PATCH");
    if sends_body && !has("content-length") && !has("transfer-encoding") {
        push_header(&mut out, "Content-Length", &spec.body.len().to_string());
    }
    if spec.close && !has("connection") {
        push_header(&mut out, "Connection", "close");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&spec.body);
    Rendered {
        bytes: out,
        is_head: spec.method.eq_ignore_ascii_case("HEAD"),
    }
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = Url::parse("http://127.0.0.1:8080/a/b?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/a/b?x=1")
        );
        assert_eq!(u.authority, "127.0.0.1:8080");
        let u = Url::parse("HTTP://example.com").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("example.com", 80, "/")
        );
        let u = Url::parse("http://[::1]:9000?q").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 9000, "/?q")
        );
        for bad in [
            "ftp://x/",
            "http://",
            "http://h:99999/",
            "http://u@h/",
            "127.0.0.1:80",
        ] {
            assert!(matches!(Url::parse(bad), Err(TargetError::Url(_))), "{bad}");
        }
        assert!(!u.tls);
        let u = Url::parse("HTTPS://localhost/x").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("localhost", 443, true));
        assert_eq!(u.peer(), "localhost:443");
        let u = Url::parse("https://[::1]:8443").unwrap();
        assert_eq!((u.port, u.authority.as_str()), (8443, "[::1]:8443"));
        assert_eq!(u.peer(), "[::1]:8443");
    }

    #[test]
    fn renders_requests() {
        let u = Url::parse("http://h:81/p").unwrap();
        let spec = RequestSpec {
            method: "POST".into(),
            headers: vec![parse_header("X-A:  1 ").unwrap()],
            body: b"hi".to_vec(),
            close: true,
        };
        let r = render(&u, &spec);
        assert_eq!(
            r.bytes,
            b"POST /p HTTP/1.1\r\nHost: h:81\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        );
        assert!(!r.is_head);
        let spec = RequestSpec {
            method: "HEAD".into(),
            headers: vec![parse_header("host: other").unwrap()],
            ..Default::default()
        };
        let r = render(&u, &spec);
        assert_eq!(r.bytes, b"HEAD /p HTTP/1.1\r\nhost: other\r\n\r\n");
        assert!(r.is_head);
        assert!(parse_header("nocolon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert!(check_method("GE T").is_err());
    }
}
