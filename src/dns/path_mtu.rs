//! Path MTU discovery off on the DNS UDP sockets (Linux:
//! `IP_PMTUDISC_OMIT`, as BIND and Knot set, and `IPV6_PMTUDISC_OMIT`).
//! With the kernel's default an ICMP "fragmentation needed" message lowers
//! the path MTU the kernel keeps for that destination, and answers to it
//! are then sent in fragments. Anyone can forge that ICMP message for a
//! resolver's address, and fragmented answers are what fragment-injection
//! cache poisoning needs. Omitting the discovery ignores those messages:
//! an answer leaves whole unless it is larger than the interface's MTU
//! (the default payload limit of 1232 bytes keeps it well under that).
//! A kernel older than 3.15 (or 4.1 for IPv6) lacks the value; it then gets
//! `PMTUDISC_DONT`, which also never uses a learned path MTU.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::AsRawFd;

/// Sets the socket (of `ipv6` family or not) to ignore learned path MTUs.
#[cfg(target_os = "linux")]
pub fn omit_discovery(socket: &impl AsRawFd, ipv6: bool) -> io::Result<()> {
    let (level, name, omit, dont) = if ipv6 {
        let (omit, dont) = (libc::IPV6_PMTUDISC_OMIT, libc::IPV6_PMTUDISC_DONT);
        (libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, omit, dont)
    } else {
        let (omit, dont) = (libc::IP_PMTUDISC_OMIT, libc::IP_PMTUDISC_DONT);
        (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, omit, dont)
    };
    let set = |value: libc::c_int| {
        let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: the descriptor is the caller's open socket; the option
        // value points at a live `c_int` whose size is passed with it.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                level,
                name,
                std::ptr::from_ref(&value).cast(),
                size,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    };
    set(omit).or_else(|_| set(dont))
}

/// Elsewhere the kernel's own setting stays.
#[cfg(not(target_os = "linux"))]
pub fn omit_discovery(_socket: &impl AsRawFd, _ipv6: bool) -> io::Result<()> {
    Ok(())
}

/// The socket's `*_MTU_DISCOVER` value, for tests.
#[cfg(all(test, target_os = "linux"))]
pub(super) fn discovery(socket: &impl AsRawFd, ipv6: bool) -> libc::c_int {
    let (level, name) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER)
    } else {
        (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER)
    };
    let mut value: libc::c_int = -1;
    let mut size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: an open socket, and a live `c_int` with its size.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut size,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    value
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn udp_sockets_ignore_learned_path_mtus() {
        let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        omit_discovery(&v4, false).unwrap();
        assert_eq!(discovery(&v4, false), libc::IP_PMTUDISC_OMIT);
        // Loopback IPv6 may be missing in a container.
        if let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") {
            omit_discovery(&v6, true).unwrap();
            assert_eq!(discovery(&v6, true), libc::IPV6_PMTUDISC_OMIT);
        }
    }
}
