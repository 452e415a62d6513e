//! The one response, rendered once per thread in every form a request can
//! need: keep-alive (HTTP/1.1), keep-alive for an HTTP/1.0 client (which
//! must be told `Connection: keep-alive`), and closing; each with or without
//! its body (HEAD). Answering a request is then a copy of ready bytes.

use bytes::Bytes;
use ringgate_core::status::reason_phrase;

/// How the connection continues after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persist {
    /// HTTP/1.1 keep-alive: no `Connection` field needed.
    KeepAlive,
    /// An HTTP/1.0 client asked for keep-alive: confirm it.
    KeepAlive10,
    /// `Connection: close`, then close.
    Close,
}

/// The response in all its forms; see the module docs.
#[derive(Debug, Clone)]
pub struct Responses {
    /// Indexed by [`Persist`] as `usize`.
    full: [Bytes; 3],
    /// Length of each form's head (the HEAD answer is `full[..head_len]`).
    head_len: [usize; 3],
}

/// The response body: "hello" repeated and cut to `len` bytes (so the
/// default 5 bytes is exactly "hello", like nginx's `return 200 "hello"`).
pub fn body_pattern(len: usize) -> Vec<u8> {
    b"hello".iter().copied().cycle().take(len).collect()
}

impl Responses {
    /// Render the response for `status` with a `body_bytes` body. A 204 or
    /// 304 has no body and no `Content-Length` (RFC 9110 sections 8.6, 15.3.5).
    pub fn render(status: u16, body_bytes: usize) -> Responses {
        let bodiless = status == 204 || status == 304;
        let body = if bodiless {
            Vec::new()
        } else {
            body_pattern(body_bytes)
        };
        let mut full: [Bytes; 3] = Default::default();
        let mut head_len = [0; 3];
        for persist in [Persist::KeepAlive, Persist::KeepAlive10, Persist::Close] {
            let mut out = Vec::with_capacity(128 + body.len());
            out.extend_from_slice(b"HTTP/1.1 ");
            out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
            out.push(b' ');
            out.extend_from_slice(reason_phrase(status).as_bytes());
            out.extend_from_slice(b"\r\nContent-Type: text/plain\r\n");
            if !bodiless {
                out.extend_from_slice(b"Content-Length: ");
                out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            match persist {
                Persist::KeepAlive => {}
                Persist::KeepAlive10 => out.extend_from_slice(b"Connection: keep-alive\r\n"),
                Persist::Close => out.extend_from_slice(b"Connection: close\r\n"),
            }
            out.extend_from_slice(b"\r\n");
            let i = persist as usize;
            if let Some(len) = head_len.get_mut(i) {
                *len = out.len();
            }
            out.extend_from_slice(&body);
            if let Some(slot) = full.get_mut(i) {
                *slot = Bytes::from(out);
            }
        }
        Responses { full, head_len }
    }

    /// The response bytes for a request: the whole response, or its head
    /// only for HEAD.
    pub fn get(&self, persist: Persist, head_only: bool) -> &[u8] {
        let i = persist as usize;
        let full = self.full.get(i).map_or(&[][..], |b| &b[..]);
        if head_only {
            let len = self.head_len.get(i).copied().unwrap_or(0);
            full.get(..len).unwrap_or_default()
        } else {
            full
        }
    }

    /// The whole response as shared bytes, for writing a large one without
    /// copying it (a refcount increment).
    pub fn shared(&self, persist: Persist) -> Bytes {
        self.full.get(persist as usize).cloned().unwrap_or_default()
    }
}
