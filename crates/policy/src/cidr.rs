//! IP networks for `IpAddress`/`NotIpAddress`: IPv4 and IPv6, in CIDR notation or as a plain
//! address (a /32 or /128). Host bits after the prefix are ignored, as AWS does.

use std::net::IpAddr;

/// A network: address plus prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `203.0.113.0/24`, `2001:db8::/32`, `203.0.113.5` or `::1`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let n: u8 = p.parse().ok()?;
                if n > max {
                    return None;
                }
                n
            }
        };
        Some(Self { addr, prefix })
    }

    /// Whether `ip` is inside the network (an IPv4 address is never inside an IPv6 network
    /// and the other way round).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(cidr: &str, ip: &str) -> bool {
        Cidr::parse(cidr).unwrap().contains(ip.parse().unwrap())
    }

    #[test]
    fn ipv4() {
        assert!(contains("203.0.113.0/24", "203.0.113.255"));
        assert!(!contains("203.0.113.0/24", "203.0.114.0"));
        assert!(
            contains("203.0.113.7/24", "203.0.113.1"),
            "host bits ignored"
        );
        assert!(contains("0.0.0.0/0", "8.8.8.8"));
        assert!(contains("10.1.2.3", "10.1.2.3"));
        assert!(!contains("10.1.2.3", "10.1.2.4"));
        assert!(contains("10.1.2.3/32", "10.1.2.3"));
    }

    #[test]
    fn ipv6() {
        assert!(contains(
            "2001:DB8:1234:5678::/64",
            "2001:db8:1234:5678:ffff::1"
        ));
        assert!(!contains(
            "2001:db8:1234:5678::/64",
            "2001:db8:1234:5679::1"
        ));
        assert!(contains("::/0", "::1"));
        assert!(contains("::1", "::1"));
        assert!(contains("2001:db8::/127", "2001:db8::1"));
    }

    #[test]
    fn families_do_not_mix() {
        assert!(!contains("0.0.0.0/0", "::1"));
        assert!(!contains("::/0", "127.0.0.1"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "10.0.0/8",
            "::/129",
            "x",
            "10.0.0.0/8/8",
            "10.0.0.0/0008",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
    }
}
