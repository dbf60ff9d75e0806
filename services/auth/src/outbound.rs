//! Which addresses the gateway may call: the one outbound rule (API.md, "Production").
//!
//! Identity-provider URLs are chosen by tenant administrators, and a token naming an issuer
//! makes the gateway fetch that issuer's keys for an anonymous caller. Without a rule this is
//! a server-side request forgery: loopback services, the cloud metadata endpoint and the
//! private network would all be reachable. So a URL must be https and resolve to public
//! addresses, unless the deployment names private ranges it allows. The rule is applied twice:
//! when a URL is saved ([`OutboundPolicy::check_url`]) and, since a name can resolve anywhere,
//! to every address a name resolves to just before connecting ([`outbound_client`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::AuthError;

/// Connecting to an identity provider may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A whole call to an identity provider (connect, send, read the body) may take this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The addresses the gateway may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Whether plain `http` URLs are allowed (development only: tokens and keys travel in clear).
    pub allow_http: bool,
    /// Non-public ranges allowed all the same (a council's identity provider on a private
    /// network, loopback in development). Public addresses are always allowed.
    pub allowed: Vec<IpNet>,
}

impl OutboundPolicy {
    /// Development: `http` and loopback allowed, so a local or in-process issuer works; the
    /// private network and link-local addresses (the cloud metadata endpoint) still are not.
    pub fn development() -> Self {
        Self {
            allow_http: true,
            allowed: vec![
                IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
                IpNet::new_assert(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
            ],
        }
    }

    /// Production: https to public addresses, and to the `allowed` ranges.
    pub fn production(allowed: Vec<IpNet>) -> Self {
        Self {
            allow_http: false,
            allowed,
        }
    }

    /// The same policy with `more` ranges allowed.
    pub fn also_allowing(mut self, more: impl IntoIterator<Item = IpNet>) -> Self {
        self.allowed.extend(more);
        self
    }

    /// Parses a comma-separated list of ranges (`10.20.0.0/16, 192.168.1.7, fd00::/8`); a
    /// bare address is a range of one. The error names the entry that is not a range.
    pub fn parse_ranges(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("{entry:?} is not an address range such as 10.20.0.0/16"))
            })
            .collect()
    }

    /// Whether the gateway may connect to `ip`: a public address, or one in an allowed range.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Why the gateway may not call `url`, as the end of a sentence naming the setting
    /// ("must use https"), or `Ok` when it may (a name is checked again once resolved).
    pub fn check(&self, url: &Url) -> Result<(), String> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err("must use https".into()),
            _ => return Err(self.expected().into()),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        let refused =
            || Err("must not point to a loopback, private, link-local or reserved address".into());
        match url.host() {
            None => Err("must name a host".into()),
            Some(Host::Ipv4(ip)) if !self.allows_ip(IpAddr::V4(ip)) => refused(),
            Some(Host::Ipv6(ip)) if !self.allows_ip(IpAddr::V6(ip)) => refused(),
            Some(Host::Domain(name)) if is_local_name(name) && !self.allows_loopback() => refused(),
            Some(_) => Ok(()),
        }
    }

    /// Parses `raw` and checks it: the URL the gateway may call, or
    /// [`AuthError::RefusedUrl`] naming `field` and why.
    pub fn check_url(&self, field: &str, raw: &str) -> Result<Url, AuthError> {
        let refused = |reason: String| AuthError::RefusedUrl {
            field: field.to_owned(),
            reason,
        };
        let url = Url::parse(raw.trim()).map_err(|_| refused(self.expected().into()))?;
        self.check(&url).map_err(refused)?;
        Ok(url)
    }

    /// What a URL must be, said when it is not one.
    fn expected(&self) -> &'static str {
        if self.allow_http {
            "must be an http(s) URL"
        } else {
            "must be an https URL"
        }
    }

    fn allows_loopback(&self) -> bool {
        self.allows_ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

/// Names that mean this machine whatever DNS says (RFC 6761).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a globally reachable unicast address (IANA special-purpose registries).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 169 && b == 254) // link-local, the cloud metadata endpoint
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Global unicast is 2000::/3; within it, these are special-purpose.
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    // 2001::/23: IETF protocol assignments and Teredo; 2001:db8::/32: documentation.
    let special = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8))
        || s[0] == 0x2002 // 6to4: an IPv4 address in disguise
        || (s[0] & 0xfff0) == 0x3ff0; // documentation (3fff::/20)
    global_unicast && !special
}

/// Builds the HTTP client for every call to an identity provider under `policy`.
///
/// Each name is resolved here and only the addresses the policy allows are handed on to
/// connect, so a name that resolves (or rebinds) to a private address cannot be reached.
/// Redirects are never followed (an authorization code or client secret must not be replayed
/// to wherever a redirect points, nor a redirect lead past the policy); proxies from the
/// environment are ignored, since a proxy would resolve names where the policy cannot see;
/// timeouts keep a slow provider from tying up request handlers. Callers still check each URL
/// with [`OutboundPolicy::check`], which covers addresses written as IP literals.
///
/// # Panics
///
/// Only if the TLS backend cannot be initialised, exactly as `reqwest::Client::new` would.
pub fn outbound_client(policy: &OutboundPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver {
            policy: policy.clone(),
        }))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .user_agent(concat!("keycare-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
}

/// Resolves names with the system resolver, then drops the addresses the policy refuses.
struct PolicyResolver {
    policy: OutboundPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| policy.allows_ip(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let shown: Vec<String> = resolved.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves to no address the outbound policy allows ({})",
                    shown.join(", ")
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_and_special_addresses() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "2a00:1450:4009:81f::200e",
            "81.2.69.160",
        ] {
            assert!(is_public(canonical(ip(public))), "{public} is public");
        }
        for special in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2002:7f00:1::",
            "64:ff9b::7f00:1",
        ] {
            assert!(
                !is_public(canonical(ip(special))),
                "{special} is not public"
            );
        }
    }

    #[test]
    fn ranges_parse_and_name_the_bad_entry() {
        let ranges = OutboundPolicy::parse_ranges(" 10.20.0.0/16, 192.168.1.7 ,fd00::/8,").unwrap();
        assert_eq!(ranges.len(), 3);
        assert!(ranges[1].contains(&ip("192.168.1.7")));
        assert!(!ranges[1].contains(&ip("192.168.1.8")));
        let err = OutboundPolicy::parse_ranges("10.0.0.0/8, intranet").unwrap_err();
        assert!(err.contains("\"intranet\""), "{err}");
        assert_eq!(OutboundPolicy::parse_ranges("").unwrap(), vec![]);
    }

    #[test]
    fn development_allows_loopback_only() {
        let dev = OutboundPolicy::development();
        assert!(dev.allows_ip(ip("127.0.0.1")));
        assert!(dev.allows_ip(ip("127.1.2.3")));
        assert!(dev.allows_ip(ip("::1")));
        assert!(dev.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(!dev.allows_ip(ip("10.0.0.1")));
        assert!(!dev.allows_ip(ip("169.254.169.254")));
    }
}
