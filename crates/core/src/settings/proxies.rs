//! Reverse proxies the server trusts to report the client's address in `X-Forwarded-For`.
//! Without any, the header is ignored: anyone could write it.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::CoreError;

/// Addresses and networks (`10.0.0.0/8`, `::1`); empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// Parses `trusted_proxies`: each an address or a CIDR network.
pub fn parse(raw: &[String]) -> Result<TrustedProxies, CoreError> {
    raw.iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| CoreError::InvalidSetting {
                    key: "trusted_proxies".into(),
                    message: format!("{entry:?} is neither an IP address nor a CIDR network"),
                })
        })
        .collect::<Result<_, _>>()
        .map(TrustedProxies)
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the connection's peer, unless the peer is a trusted proxy, in
    /// which case `X-Forwarded-For` is read from the right (the entry each proxy appended) past
    /// every trusted proxy; the first address that is not one is the client. A malformed
    /// header is no evidence: the peer stays the client.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        let Some(header) = forwarded_for.filter(|_| self.contains(peer)) else {
            return peer;
        };
        let mut client = peer;
        for entry in header.rsplit(',') {
            let Ok(address) = entry.trim().parse::<IpAddr>() else {
                return peer;
            };
            client = canonical(address);
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

/// IPv4 clients of a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), Some("203.0.113.5")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_hands_over_the_first_untrusted_address_from_the_right() {
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("127.0.0.1"), Some("203.0.113.5")),
            ip("203.0.113.5")
        );
        // A client's forged entry on the left is passed over: the proxies' entries are right.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), Some("1.2.3.4, 203.0.113.5, 10.1.2.3")),
            ip("203.0.113.5")
        );
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), Some("203.0.113.9")),
            ip("203.0.113.9")
        );
        // An untrusted peer's header counts for nothing; a malformed one neither.
        assert_eq!(
            trusted.client(ip("198.51.100.7"), Some("203.0.113.5")),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.client(ip("127.0.0.1"), Some("203.0.113.5, junk")),
            ip("127.0.0.1")
        );
        assert_eq!(trusted.client(ip("127.0.0.1"), None), ip("127.0.0.1"));
    }

    #[test]
    fn entries_are_addresses_or_networks() {
        assert!(proxies(&["::1", "192.168.0.0/16"]).contains(ip("192.168.3.4")));
        let error = parse(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(error.to_string().contains("trusted_proxies"), "{error}");
    }
}
