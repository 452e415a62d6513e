//! The path sent upstream when a route strips its `path_prefix`.
//!
//! Borrowed from the request target whenever the remainder already starts
//! with `/`, so the common case copies nothing; only a remainder that is
//! empty or starts with the query needs a `/` in front of it.

use std::borrow::Cow;

use super::prefix_matches;

/// The request target with `prefix` removed from its path.
///
/// `/users/42` with prefix `/users` becomes `/42`, `/users` becomes `/`, and a
/// query string is kept (`/users?page=2` becomes `/?page=2`). A prefix
/// ending in `/` is removed up to (not including) that slash. A target whose
/// path is not under `prefix` is returned unchanged.
pub fn strip_prefix<'a>(target: &'a [u8], prefix: &str) -> Cow<'a, [u8]> {
    let prefix = prefix.as_bytes();
    let path_len = target
        .iter()
        .position(|&b| b == b'?')
        .unwrap_or(target.len());
    if prefix.is_empty() || !prefix_matches(&target[..path_len], prefix) {
        return Cow::Borrowed(target);
    }
    // Keep a trailing slash of the prefix: it starts the remainder.
    let cut = if prefix.ends_with(b"/") {
        prefix.len() - 1
    } else {
        prefix.len()
    };
    let rest = &target[cut..];
    if rest.first() == Some(&b'/') {
        Cow::Borrowed(rest)
    } else if rest.is_empty() {
        Cow::Borrowed(b"/")
    } else {
        let mut owned = Vec::with_capacity(rest.len() + 1);
        owned.push(b'/');
        owned.extend_from_slice(rest);
        Cow::Owned(owned)
    }
}
