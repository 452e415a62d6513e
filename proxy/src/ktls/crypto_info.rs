//! rustls' extracted traffic secrets as the kernel's `tls12_crypto_info_*`
//! structs (include/uapi/linux/tls.h), laid out byte for byte:
//!
//! ```text
//! struct tls_crypto_info { __u16 version; __u16 cipher_type; };
//! aes_gcm_128:       info, iv[8],  key[16], salt[4], rec_seq[8]   (40 bytes)
//! aes_gcm_256:       info, iv[8],  key[32], salt[4], rec_seq[8]   (56 bytes)
//! chacha20_poly1305: info, iv[12], key[32],          rec_seq[8]   (56 bytes)
//! ```
//!
//! Every field after the header is a byte array, so there is no padding.
//! For AES-GCM rustls hands a 12-byte IV (TLS 1.3: the static IV; TLS 1.2:
//! the 4-byte implicit salt then 8 bytes of explicit nonce): its first four
//! bytes are the salt, the other eight the IV. The record sequence number
//! is big-endian, as on the wire.

use rustls::ConnectionTrafficSecrets;
use rustls::ProtocolVersion;

/// `TLS_CIPHER_AES_GCM_128`.
pub const AES_GCM_128: u16 = 51;
/// `TLS_CIPHER_AES_GCM_256`.
pub const AES_GCM_256: u16 = 52;
/// `TLS_CIPHER_CHACHA20_POLY1305`.
pub const CHACHA20_POLY1305: u16 = 54;

/// `TLS_1_2_VERSION` and `TLS_1_3_VERSION`.
const TLS_1_2: u16 = 0x0303;
const TLS_1_3: u16 = 0x0304;

/// The kernel's cipher number for rustls' secrets.
pub fn cipher_of(secrets: &ConnectionTrafficSecrets) -> Option<u16> {
    match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { .. } => Some(AES_GCM_128),
        ConnectionTrafficSecrets::Aes256Gcm { .. } => Some(AES_GCM_256),
        ConnectionTrafficSecrets::Chacha20Poly1305 { .. } => Some(CHACHA20_POLY1305),
        _ => None,
    }
}

/// The kernel cipher number of the suite a connection negotiated, before
/// its secrets are extracted (so a caller can still stay on rustls).
pub fn negotiated(tls: &rustls::ServerConnection) -> Option<u16> {
    use rustls::CipherSuite as S;
    match tls.negotiated_cipher_suite()?.suite() {
        S::TLS13_AES_128_GCM_SHA256
        | S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        | S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => Some(AES_GCM_128),
        S::TLS13_AES_256_GCM_SHA384
        | S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        | S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => Some(AES_GCM_256),
        S::TLS13_CHACHA20_POLY1305_SHA256
        | S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        | S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => Some(CHACHA20_POLY1305),
        _ => None,
    }
}

/// A short name for logs and metrics.
pub fn cipher_name(cipher: u16) -> &'static str {
    match cipher {
        AES_GCM_128 => "aes-128-gcm",
        AES_GCM_256 => "aes-256-gcm",
        CHACHA20_POLY1305 => "chacha20-poly1305",
        _ => "unknown",
    }
}

/// The crypto_info blob for one direction, or `None` for a version or
/// cipher the kernel has no struct for.
pub fn build(
    version: ProtocolVersion,
    seq: u64,
    secrets: &ConnectionTrafficSecrets,
) -> Option<Vec<u8>> {
    let version = match version {
        ProtocolVersion::TLSv1_2 => TLS_1_2,
        ProtocolVersion::TLSv1_3 => TLS_1_3,
        _ => return None,
    };
    let cipher = cipher_of(secrets)?;
    let mut out = Vec::with_capacity(56);
    out.extend_from_slice(&version.to_ne_bytes());
    out.extend_from_slice(&cipher.to_ne_bytes());
    match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv } => {
            let iv = iv.as_ref();
            let (salt, nonce) = iv.split_at(4.min(iv.len()));
            out.extend_from_slice(nonce);
            out.extend_from_slice(key.as_ref());
            out.extend_from_slice(salt);
        }
        ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
            out.extend_from_slice(iv.as_ref());
            out.extend_from_slice(key.as_ref());
        }
        _ => return None,
    }
    out.extend_from_slice(&seq.to_be_bytes());
    Some(out)
}

/// An all-zero blob of the right size for `cipher` under TLS 1.3, for the
/// startup probe (the kernel checks the cipher, not the key).
pub fn probe_blob(cipher: u16) -> Vec<u8> {
    let body = match cipher {
        AES_GCM_128 => 8 + 16 + 4 + 8,
        _ => 56 - 4,
    };
    let mut out = Vec::with_capacity(4 + body);
    out.extend_from_slice(&TLS_1_3.to_ne_bytes());
    out.extend_from_slice(&cipher.to_ne_bytes());
    out.resize(4 + body, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::cipher::{AeadKey, Iv};

    #[test]
    fn layouts_match_the_kernel_structs() {
        let iv: [u8; 12] = std::array::from_fn(|i| i as u8);
        let key = AeadKey::from([7u8; 32]);
        let aes = ConnectionTrafficSecrets::Aes256Gcm {
            key,
            iv: Iv::new(iv),
        };
        let blob = build(ProtocolVersion::TLSv1_3, 0x0102, &aes).expect("supported");
        assert_eq!(blob.len(), 56);
        assert_eq!(&blob[0..2], &TLS_1_3.to_ne_bytes());
        assert_eq!(&blob[2..4], &AES_GCM_256.to_ne_bytes());
        assert_eq!(&blob[4..12], &iv[4..]);
        assert_eq!(&blob[12..44], &[7u8; 32]);
        assert_eq!(&blob[44..48], &iv[..4]);
        assert_eq!(&blob[48..56], &[0, 0, 0, 0, 0, 0, 1, 2]);

        let chacha = ConnectionTrafficSecrets::Chacha20Poly1305 {
            key: AeadKey::from([9u8; 32]),
            iv: Iv::new(iv),
        };
        let blob = build(ProtocolVersion::TLSv1_2, 5, &chacha).expect("supported");
        assert_eq!(blob.len(), 56);
        assert_eq!(&blob[4..16], &iv);
        assert_eq!(&blob[48..56], &5u64.to_be_bytes());
        assert_eq!(probe_blob(AES_GCM_128).len(), 40);
        assert_eq!(probe_blob(CHACHA20_POLY1305).len(), 56);
    }
}
