//! OAuth 2.0 under `/v2/o/` and the OpenID userinfo endpoint, as BB2 runs them.

pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod errors;
pub mod expire_grant;
pub mod grant;
pub mod introspect;
pub mod pages;
pub mod pkce;
pub mod redirect;
pub mod revoke;
pub mod scopes;
pub mod secret;
pub mod store;
pub mod token;
pub mod userinfo;
