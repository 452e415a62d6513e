//! Query string helpers for API keys: read one parameter (percent-decoded)
//! and drop it from the target that is forwarded.

use std::borrow::Cow;

/// The value of the first `name=value` pair in the query of `target`,
/// percent-decoded (`+` stays `+`: keys are not form data). `None` when the
/// parameter is absent or its escapes are invalid.
pub(crate) fn param<'t>(target: &'t [u8], name: &str) -> Option<Cow<'t, [u8]>> {
    pairs(target)
        .find_map(|(key, value)| (key == name.as_bytes()).then_some(value))
        .and_then(percent_decode)
}

/// `target` without any `name=...` pair in its query; `None` when there was
/// none (the target is forwarded as it is).
pub fn without_param(target: &[u8], name: &str) -> Option<Vec<u8>> {
    let q = target.iter().position(|&b| b == b'?')?;
    let (path, query) = target.split_at(q);
    let query = query.get(1..).unwrap_or_default();
    let kept: Vec<&[u8]> = query
        .split(|&b| b == b'&')
        .filter(|pair| key_of(pair) != name.as_bytes())
        .collect();
    if kept.len() == query.split(|&b| b == b'&').count() {
        return None;
    }
    let mut out = path.to_vec();
    let kept: Vec<&[u8]> = kept.into_iter().filter(|p| !p.is_empty()).collect();
    if !kept.is_empty() {
        out.push(b'?');
        out.extend_from_slice(&kept.join(&b'&'));
    }
    Some(out)
}

fn key_of(pair: &[u8]) -> &[u8] {
    pair.split(|&b| b == b'=').next().unwrap_or_default()
}

fn pairs(target: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let query = target
        .iter()
        .position(|&b| b == b'?')
        .and_then(|q| target.get(q + 1..))
        .unwrap_or_default();
    let query = query.split(|&b| b == b'#').next().unwrap_or_default();
    query.split(|&b| b == b'&').map(|pair| {
        let key = key_of(pair);
        (key, pair.get(key.len() + 1..).unwrap_or_default())
    })
}

fn percent_decode(value: &[u8]) -> Option<Cow<'_, [u8]>> {
    if !value.contains(&b'%') {
        return Some(Cow::Borrowed(value));
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(Cow::Owned(out))
}
