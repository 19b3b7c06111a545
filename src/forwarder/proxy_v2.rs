//! The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt, section
//! 2.2) that tells a backend the real client address of a forwarded
//! connection.
//!
//! Invariant: the header is exactly signature, `0x21` (version 2, PROXY),
//! the family/protocol byte (`0x11` TCP over IPv4, `0x21` TCP over IPv6), the
//! big-endian address block length (12 or 36) and the address block
//! (source address, destination address, source port, destination port), with
//! no TLVs. Both addresses are of one family: when one side is IPv6, an IPv4
//! side is written IPv4-mapped.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The 12-byte signature every v2 header starts with.
pub const SIGNATURE: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

const VERSION_2_PROXY: u8 = 0x21;
const TCP_OVER_IPV4: u8 = 0x11;
const TCP_OVER_IPV6: u8 = 0x21;

/// The header for a connection from `source` (the client) to `destination`
/// (the forwarder's address the client connected to).
pub fn header(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let (src_ip, dst_ip) = (source.ip().to_canonical(), destination.ip().to_canonical());
    let mut out = Vec::with_capacity(16 + 36);
    out.extend_from_slice(&SIGNATURE);
    out.push(VERSION_2_PROXY);
    match (src_ip, dst_ip) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.push(TCP_OVER_IPV4);
            out.extend_from_slice(&12u16.to_be_bytes());
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            out.push(TCP_OVER_IPV6);
            out.extend_from_slice(&36u16.to_be_bytes());
            out.extend_from_slice(&as_v6(s).octets());
            out.extend_from_slice(&as_v6(d).octets());
        }
    }
    out.extend_from_slice(&source.port().to_be_bytes());
    out.extend_from_slice(&destination.port().to_be_bytes());
    out
}

fn as_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_over_ipv4_layout() {
        let h = header(
            "192.0.2.1:56324".parse().unwrap(),
            "198.51.100.7:443".parse().unwrap(),
        );
        let expected: Vec<u8> = [
            &SIGNATURE[..],
            &[0x21, 0x11, 0x00, 0x0C],
            &[192, 0, 2, 1],
            &[198, 51, 100, 7],
            &[0xDC, 0x04], // 56324
            &[0x01, 0xBB], // 443
        ]
        .concat();
        assert_eq!(h, expected);
        assert_eq!(h.len(), 28);
    }

    #[test]
    fn tcp_over_ipv6_layout() {
        let h = header(
            "[2001:db8::1]:1024".parse().unwrap(),
            "[::1]:80".parse().unwrap(),
        );
        assert_eq!(&h[..12], b"\r\n\r\n\0\r\nQUIT\n");
        assert_eq!(&h[12..16], &[0x21, 0x21, 0x00, 0x24]);
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        src[15] = 1;
        assert_eq!(&h[16..32], &src);
        let mut dst = [0u8; 16];
        dst[15] = 1;
        assert_eq!(&h[32..48], &dst);
        assert_eq!(&h[48..], &[0x04, 0x00, 0x00, 0x50]);
    }

    #[test]
    fn mixed_families_use_ipv4_mapped_or_collapse_to_ipv4() {
        // a dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d
        let h = header(
            "[::ffff:192.0.2.1]:1".parse().unwrap(),
            "[::ffff:127.0.0.1]:2".parse().unwrap(),
        );
        assert_eq!(h[13], 0x11);
        assert_eq!(&h[16..24], &[192, 0, 2, 1, 127, 0, 0, 1]);

        let h = header(
            "192.0.2.1:1".parse().unwrap(),
            "[2001:db8::2]:2".parse().unwrap(),
        );
        assert_eq!(h[13], 0x21);
        assert_eq!(
            &h[16..32],
            &"::ffff:192.0.2.1".parse::<Ipv6Addr>().unwrap().octets()
        );
    }
}
