//! The W3C Trace Context `traceparent` header
//! (<https://www.w3.org/TR/trace-context/#traceparent-header>):
//! `VERSION-TRACEID-PARENTID-FLAGS`, lowercase hex, 2-32-16-2 digits.
//!
//! Version `00` is exactly 55 characters. A higher version (any but the
//! invalid `ff`) is parsed by the spec's forward-compatibility rules: at
//! least 55 characters, the version-00 fields at their places, and after
//! the flags either the end or a `-` (what follows is the future
//! version's and is ignored). An all-zero trace id or parent id is
//! invalid. A value that is not valid restarts the trace.

/// A valid `traceparent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The version byte (`0` for `00`).
    pub version: u8,
    /// The trace id (not all zeros).
    pub trace_id: [u8; 16],
    /// The caller's span id (not all zeros).
    pub parent_id: [u8; 8],
    /// Trace flags (bit 0: sampled; bit 1: random trace id).
    pub flags: u8,
}

/// Bit 0 of the trace flags: the caller may have recorded its span.
pub const SAMPLED: u8 = 0x01;
/// Bit 1 (Trace Context Level 2): the trace id's right 7 bytes are random.
pub const RANDOM: u8 = 0x02;
/// Length of a version-00 value.
pub const LEN: usize = 55;

impl TraceParent {
    /// Parse a received value (surrounding spaces and tabs ignored).
    pub fn parse(value: &[u8]) -> Option<TraceParent> {
        let v = value.trim_ascii();
        let version = hex_byte(v.get(..2)?)?;
        if version == 0xff || v.len() < LEN || (version == 0 && v.len() != LEN) {
            return None;
        }
        if v.get(2) != Some(&b'-') || v.get(35) != Some(&b'-') || v.get(52) != Some(&b'-') {
            return None;
        }
        if v.len() > LEN && v.get(LEN) != Some(&b'-') {
            return None;
        }
        let mut trace_id = [0u8; 16];
        hex_bytes(v.get(3..35)?, &mut trace_id)?;
        let mut parent_id = [0u8; 8];
        hex_bytes(v.get(36..52)?, &mut parent_id)?;
        let flags = hex_byte(v.get(53..55)?)?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(TraceParent {
            version,
            trace_id,
            parent_id,
            flags,
        })
    }

    /// Whether the caller sampled its span.
    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }

    /// The version-00 value naming `span_id` as the parent.
    pub fn encode(trace_id: &[u8; 16], span_id: &[u8; 8], flags: u8) -> [u8; LEN] {
        let mut out = [b'-'; LEN];
        out[0] = b'0';
        out[1] = b'0';
        super::hex_into(trace_id, &mut out[3..35]);
        super::hex_into(span_id, &mut out[36..52]);
        super::hex_into(&[flags], &mut out[53..55]);
        out
    }
}

/// Two lowercase hex digits.
fn hex_byte(two: &[u8]) -> Option<u8> {
    match two {
        [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
        _ => None,
    }
}

fn hex_bytes(hex: &[u8], out: &mut [u8]) -> Option<()> {
    for (pair, slot) in hex.chunks_exact(2).zip(out.iter_mut()) {
        *slot = hex_byte(pair)?;
    }
    Some(())
}

/// Lowercase only: the spec forbids uppercase hex in `traceparent`.
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}
