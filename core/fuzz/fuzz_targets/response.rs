//! Response heads from arbitrary bytes, read whole and split in two (the
//! first byte picks the split and whether the request was HEAD); both
//! readings must agree, and encoding the head for a client must not panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ringgate_core::http1::{encode_response, HeadReader, Limits, ResponseOptions, Version};

const LIMITS: Limits = Limits {
    max_header_bytes: 1024,
    max_headers: 16,
    max_uri_bytes: 128,
};

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let was_head = first & 1 == 1;
    let at = usize::from(first >> 1) % (input.len() + 1);

    let mut whole_buf = BytesMut::from(input);
    let whole = HeadReader::default().read_response(&mut whole_buf, &LIMITS, was_head);

    let mut reader = HeadReader::default();
    let mut split_buf = BytesMut::from(&input[..at]);
    let mut split = reader.read_response(&mut split_buf, &LIMITS, was_head);
    split_buf.extend_from_slice(&input[at..]);
    if matches!(split, Ok(None)) {
        split = reader.read_response(&mut split_buf, &LIMITS, was_head);
    }
    assert_eq!(whole, split, "split at {at}");

    if let Ok(Some(head)) = &whole {
        assert_eq!(whole_buf, split_buf);
        let opts = ResponseOptions {
            keep_alive: head.keep_alive(),
            client_version: if first & 2 == 0 {
                Version::Http11
            } else {
                Version::Http10
            },
            dechunk: first & 4 != 0,
            upgrade: head.is_switching_protocols(),
        };
        let mut out = Vec::new();
        encode_response(head, &opts, &mut out);
        assert!(out.ends_with(b"\r\n\r\n"));
    }
});
