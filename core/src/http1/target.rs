//! The request-target forms a gateway accepts (RFC 9112 section 3.2) and
//! the `Host` value it routes on.
//!
//! Accepted: origin-form (`/path?query`), asterisk-form (`*`, OPTIONS only)
//! and absolute-form with an `http` or `https` scheme. Authority-form (only
//! used by CONNECT) is refused: the gateway does not open tunnels. For
//! absolute-form the path is taken from the target; `Host` stays whatever
//! the Host field says.

use super::error::ParseError;

/// Where the path of a target is, as offsets into the target.
/// `None`: absolute-form without a path, which means `/`.
pub(crate) fn path_range(
    method: &[u8],
    target: &[u8],
) -> Result<Option<(usize, usize)>, ParseError> {
    const BAD: ParseError = ParseError::Malformed("request-target");
    match target.first() {
        Some(b'/') => Ok(Some((0, end_of_path(target, 0)))),
        Some(b'*') if target.len() == 1 => {
            if method == b"OPTIONS" {
                Ok(Some((0, 1)))
            } else {
                Err(BAD)
            }
        }
        _ => {
            let rest = strip_scheme(target).ok_or(BAD)?;
            let authority_start = target.len() - rest.len();
            let authority_len = rest
                .iter()
                .position(|&b| matches!(b, b'/' | b'?' | b'#'))
                .unwrap_or(rest.len());
            let authority = rest.get(..authority_len).unwrap_or_default();
            if authority.is_empty() || !authority.iter().all(|&b| is_authority_char(b)) {
                return Err(BAD);
            }
            let path_start = authority_start + authority_len;
            match target.get(path_start) {
                Some(b'/') => Ok(Some((path_start, end_of_path(target, path_start)))),
                _ => Ok(None),
            }
        }
    }
}

/// The authority of an absolute-form target (`http://a.example:8080/x`
/// gives `a.example:8080`), or `None` for the other forms.
pub(crate) fn absolute_authority(target: &[u8]) -> Option<&[u8]> {
    let rest = strip_scheme(target)?;
    let len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    rest.get(..len)
}

/// Whether an absolute-form target's `authority` and a `Host` value name
/// the same host and port (RFC 9112 section 3.2.2): ASCII case-insensitive,
/// with the scheme's default port (`:80` for http, `:443` for https) equal
/// to no port.
pub(crate) fn same_authority(target: &[u8], authority: &[u8], host: &[u8]) -> bool {
    let https = target
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"https"));
    let default: &[u8] = if https { b":443" } else { b":80" };
    let a = authority.strip_suffix(default).unwrap_or(authority);
    let h = host.strip_suffix(default).unwrap_or(host);
    a.eq_ignore_ascii_case(h)
}

/// `target[from..]` up to `?` or `#`, as an end index.
fn end_of_path(target: &[u8], from: usize) -> usize {
    target
        .get(from..)
        .and_then(|t| t.iter().position(|&b| b == b'?' || b == b'#'))
        .map_or(target.len(), |p| from + p)
}

/// What follows `http://` or `https://` (scheme case-insensitive).
fn strip_scheme(target: &[u8]) -> Option<&[u8]> {
    for scheme in [&b"http://"[..], &b"https://"[..]] {
        if let Some(head) = target.get(..scheme.len()) {
            if head.eq_ignore_ascii_case(scheme) {
                return target.get(scheme.len()..);
            }
        }
    }
    None
}

/// `uri-host [ ":" port ]` characters: unreserved, pct-encoded, sub-delims,
/// `:` and the brackets of an IP literal (RFC 3986 section 3.2.2).
fn is_authority_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
        )
}

/// A `Host` value: empty or `uri-host [ ":" port ]` characters, so a value
/// with spaces, slashes or userinfo never reaches the router.
pub(crate) fn check_host(value: &[u8]) -> Result<(), ParseError> {
    if value.iter().all(|&b| is_authority_char(b)) {
        Ok(())
    } else {
        Err(ParseError::Malformed("host"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_forms() {
        let ok: &[(&[u8], &[u8], &[u8])] = &[
            (b"GET", b"/", b"/"),
            (b"GET", b"/a/b?x=1", b"/a/b"),
            (b"GET", b"/a#frag", b"/a"),
            (b"OPTIONS", b"*", b"*"),
            (b"GET", b"http://example.com/x?y", b"/x"),
            (b"GET", b"HTTPS://example.com:8443/x", b"/x"),
            (b"GET", b"http://example.com", b"/"),
            (b"GET", b"http://example.com?q", b"/"),
            (b"GET", b"http://[::1]:80/p", b"/p"),
        ];
        for &(method, target, path) in ok {
            let got = path_range(method, target).unwrap_or_else(|e| panic!("{e}"));
            let got = got.map_or(&b"/"[..], |(s, e)| &target[s..e]);
            assert_eq!(got, path, "{}", String::from_utf8_lossy(target));
        }
        let bad: &[(&[u8], &[u8])] = &[
            (b"GET", b"*"),
            (b"CONNECT", b"example.com:443"),
            (b"GET", b"ftp://x/"),
            (b"GET", b"http:///x"),
            (b"GET", b"http://us er@x/"),
            (b"GET", b"http://user@x/"),
            (b"GET", b"x"),
            (b"GET", b""),
        ];
        for &(method, target) in bad {
            assert!(
                path_range(method, target).is_err(),
                "{}",
                String::from_utf8_lossy(target)
            );
        }
    }

    #[test]
    fn absolute_form_authority_against_host() {
        let table: &[(&[u8], &[u8], bool)] = &[
            (b"http://a.example/x", b"a.example", true),
            (b"http://A.Example/x", b"a.example", true),
            (b"http://a.example:80/x", b"a.example", true),
            (b"http://a.example/x", b"a.example:80", true),
            (b"https://a.example:443/x", b"a.example", true),
            (b"http://a.example:8080/x", b"a.example:8080", true),
            (b"http://a.example", b"a.example", true),
            (b"http://a.example?q", b"a.example", true),
            (b"http://a.example/x", b"b.example", false),
            (b"http://a.example:8080/x", b"a.example", false),
            (b"https://a.example:80/x", b"a.example", false),
            (b"http://a.example/x", b"", false),
            (b"http://a.example.evil/x", b"a.example", false),
        ];
        for &(target, host, same) in table {
            let authority = absolute_authority(target).unwrap_or_else(|| panic!("authority"));
            assert_eq!(
                same_authority(target, authority, host),
                same,
                "{} vs {}",
                String::from_utf8_lossy(target),
                String::from_utf8_lossy(host)
            );
        }
        assert_eq!(absolute_authority(b"/x"), None);
        assert_eq!(absolute_authority(b"*"), None);
    }

    #[test]
    fn host_values() {
        for ok in [&b"example.com"[..], b"a:8080", b"[::1]:80", b""] {
            assert!(check_host(ok).is_ok());
        }
        for bad in [&b"a b"[..], b"a/b", b"user@a", b"a\tb", b"\xc3\xa9"] {
            assert!(check_host(bad).is_err());
        }
    }
}
