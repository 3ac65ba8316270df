//! Why a delivery decision could not be made.

/// A gathering error, named as delivery cases name them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// CNAMEs point back to a name already seen.
    #[error("cname loop")]
    CnameLoop,
    /// More CNAMEs than we follow (16 for the next hop, 10 for hosts and TLSA names).
    #[error("too many cname records")]
    CnameLimit,
    /// SERVFAIL or another temporary DNS failure: try again later.
    #[error("temporary dns failure")]
    Dns,
    /// The name does not exist.
    #[error("no such domain")]
    NxDomain,
    /// The domain says it accepts no mail (RFC 7505 null MX).
    #[error("domain does not accept email (null MX)")]
    NullMx,
    /// A name that is not a valid host name.
    #[error("invalid name")]
    InvalidName,
    /// An MTA-STS policy that does not parse.
    #[error("MTA-STS policy syntax error: {0}")]
    PolicySyntax(String),
}

impl DeliveryError {
    /// The name delivery cases use (`cname_loop`, `dns`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryError::CnameLoop => "cname_loop",
            DeliveryError::CnameLimit => "cname_limit",
            DeliveryError::Dns => "dns",
            DeliveryError::NxDomain => "nxdomain",
            DeliveryError::NullMx => "null_mx",
            DeliveryError::InvalidName => "invalid_name",
            DeliveryError::PolicySyntax(_) => "policy_syntax",
        }
    }
}
