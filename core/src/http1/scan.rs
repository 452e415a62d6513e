//! Byte-level helpers shared by the codec: a word-at-a-time byte search and
//! the RFC 9110 character classes.
//!
//! `find_byte` looks at eight bytes per step with the classic "has zero
//! byte" trick, in safe code; the head reader uses it to jump from line end
//! to line end instead of testing every byte.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The index of the first `needle` in `hay[from..]`, as an index into `hay`.
pub(crate) fn find_byte(hay: &[u8], from: usize, needle: u8) -> Option<usize> {
    let tail = hay.get(from..)?;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut chunks = tail.chunks_exact(8);
    let mut base = from;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word) ^ pattern;
        // The lowest flagged byte is exact; borrows only flag bytes above it.
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    let rest = chunks.remainder();
    rest.iter().position(|&b| b == needle).map(|p| base + p)
}

/// `tchar` of RFC 9110 section 5.6.2: the characters of a token.
pub(crate) fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// A field-value character: VCHAR, obs-text, SP or HTAB.
pub(crate) fn is_field_char(b: u8) -> bool {
    b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80
}

/// `s` without leading and trailing SP / HTAB (RFC 9110 OWS).
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or_default()
}

/// The elements of a comma-separated list, each trimmed of OWS; empty
/// elements are yielded as empty slices so callers can decide about them.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows)
}

/// Whether the comma-separated list `value` contains `token` (ASCII
/// case-insensitively).
pub(crate) fn list_contains(value: &[u8], token: &[u8]) -> bool {
    list_elements(value).any(|e| e.eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_naive_search() {
        let hay: Vec<u8> = (0..200u16).map(|i| (i * 7 % 251) as u8).collect();
        for needle in [0u8, 1, 10, 13, 0x80, 0xff, b'a'] {
            for from in 0..=hay.len() + 2 {
                let naive = hay
                    .get(from..)
                    .and_then(|t| t.iter().position(|&b| b == needle))
                    .map(|p| p + from);
                assert_eq!(find_byte(&hay, from, needle), naive, "{needle} {from}");
            }
        }
    }

    #[test]
    fn find_byte_handles_adjacent_and_high_bytes() {
        assert_eq!(find_byte(b"\x0b\x0a\x0a", 0, b'\n'), Some(1));
        assert_eq!(
            find_byte(b"\x01\x00\x00\x00\x00\x00\x00\x0a", 0, b'\n'),
            Some(7)
        );
        assert_eq!(
            find_byte(b"\x8a\x8a\x8a\x8a\x8a\x8a\x8a\x8a\x0a", 0, b'\n'),
            Some(8)
        );
    }

    #[test]
    fn ows_and_lists() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        assert!(list_contains(b"keep-alive, Upgrade", b"upgrade"));
        assert!(!list_contains(b"keep-alive, xupgrade", b"upgrade"));
    }
}
