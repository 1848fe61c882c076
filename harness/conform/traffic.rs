//! The recorded journal, read the way checks ask about it: authorize requests, token requests
//! and API calls, each with what the client sent and what the server answered, plus the life
//! of every access and refresh token (issued, replaced by a refresh, expired).

use crate::exchange::SessionId;
use crate::oauth::scopes::Resource;
use crate::oauth::{bearer, client_auth};
use crate::params::Params;
use crate::server::journal::Exchange;
use http::Method;
use http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// A request to `/{v}/o/authorize/`.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Journal id.
    pub exchange: u64,
    /// When it arrived.
    pub at: Duration,
    /// Query and form parameters, in order (duplicates kept).
    pub params: Params,
    /// The answer's status.
    pub status: u16,
    /// The redirect the server answered with, if any.
    pub location: Option<String>,
    /// The parameters of that redirect (`code`, `state`, `error`).
    pub redirect_params: Params,
}

impl Authorization {
    /// The code the server issued, when the authorization succeeded.
    pub fn code(&self) -> Option<&str> {
        self.redirect_params.non_empty("code")
    }
}

/// A request to `/{v}/o/token/`.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Journal id.
    pub exchange: u64,
    /// When it arrived.
    pub at: Duration,
    /// The HTTP method.
    pub method: Method,
    /// The raw query string, if the URL had one.
    pub query: Option<String>,
    /// The form body's parameters, in order (duplicates kept); empty for other bodies.
    pub form: Params,
    /// The request's media type (`application/x-www-form-urlencoded`).
    pub content_type: Option<String>,
    /// `(client_id, secret)` of an `Authorization: Basic` header.
    pub basic: Option<(String, String)>,
    /// The answer's status.
    pub status: u16,
    /// The answer's JSON body.
    pub answer: Option<Value>,
    /// The session the answer belongs to.
    pub session: Option<SessionId>,
}

impl TokenRequest {
    /// `grant_type` of the body (the last one, as the server reads it).
    pub fn grant_type(&self) -> Option<&str> {
        self.form.get("grant_type")
    }

    /// A string field of the answer (`access_token`, `refresh_token`, `patient`, `error`).
    pub fn answer_field(&self, name: &str) -> Option<&str> {
        self.answer.as_ref()?.get(name)?.as_str()
    }

    /// Whether the server issued tokens.
    pub fn succeeded(&self) -> bool {
        self.status == 200 && self.answer_field("access_token").is_some()
    }
}

/// A protected API call: FHIR or userinfo.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// Journal id.
    pub exchange: u64,
    /// When it arrived.
    pub at: Duration,
    /// The HTTP method.
    pub method: Method,
    /// The path as received.
    pub path: String,
    /// `v1` or `v2`.
    pub version: String,
    /// Which resource (userinfo included).
    pub resource: Resource,
    /// The id of a read.
    pub id: Option<String>,
    /// The raw query string.
    pub query: Option<String>,
    /// The query parameters, in order.
    pub params: Params,
    /// The bearer token of the `Authorization` header.
    pub bearer: Option<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Accept-Encoding` header.
    pub accept_encoding: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// `Some("gzip")` when the body went out compressed.
    pub content_encoding: Option<&'static str>,
    /// Whether a 401 said the token had expired.
    pub expired_token: bool,
    /// The answer's JSON body.
    pub answer: Option<Value>,
    /// The session of the token, when it was valid.
    pub session: Option<SessionId>,
}

impl ApiCall {
    /// `path?query` as sent: what identifies the page or resource asked for.
    pub fn target(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether this is a search (no id) of a FHIR resource type.
    pub fn is_search(&self) -> bool {
        self.id.is_none() && self.resource != Resource::UserInfo
    }

    /// The `url` of the answer's `link[relation=<relation>]` (a Bundle's paging links).
    pub fn link(&self, relation: &str) -> Option<&str> {
        self.answer
            .as_ref()?
            .get("link")?
            .as_array()?
            .iter()
            .find(|link| link.get("relation").and_then(Value::as_str) == Some(relation))?
            .get("url")?
            .as_str()
    }

    /// The ids of the resources in the answer: a Bundle's entries, or the resource read.
    pub fn resource_ids(&self) -> Vec<String> {
        let Some(answer) = &self.answer else {
            return Vec::new();
        };
        match answer.get("resourceType").and_then(Value::as_str) {
            Some("Bundle") => answer
                .get("entry")
                .and_then(Value::as_array)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| e.get("resource")?.get("id")?.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            Some(_) => answer
                .get("id")
                .and_then(Value::as_str)
                .map(|id| vec![id.to_owned()])
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// What became of an access token by the time of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Issued, not replaced, not known to be expired.
    Current,
    /// A refresh (journal id) issued a newer access token in its session before.
    Replaced {
        /// The refresh request that replaced it.
        by: u64,
    },
    /// An earlier answer (journal id) said it had expired.
    Expired {
        /// The first request answered "expired".
        since: u64,
    },
    /// Never issued by this server.
    Unknown,
}

#[derive(Debug, Clone, Default)]
struct TokenLife {
    issued_by: u64,
    replaced_by: Option<u64>,
    expired_at: Option<u64>,
}

/// Every exchange of a run, with its typed views.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// The journal, in order of id.
    pub exchanges: Vec<Exchange>,
    /// Requests to the authorize endpoint, in order.
    pub authorizations: Vec<Authorization>,
    /// Requests to the token endpoint, in order.
    pub token_requests: Vec<TokenRequest>,
    /// FHIR and userinfo calls, in order.
    pub api_calls: Vec<ApiCall>,
    /// Whether the journal was cut off (the client flooded the server).
    pub truncated: bool,
    access_tokens: HashMap<String, TokenLife>,
    refresh_tokens: HashMap<String, TokenLife>,
}

impl Traffic {
    /// Reads a journal (in order of id).
    pub fn new(exchanges: Vec<Exchange>, truncated: bool) -> Traffic {
        let mut traffic = Traffic {
            truncated,
            ..Traffic::default()
        };
        for exchange in &exchanges {
            traffic.read(exchange);
        }
        traffic.exchanges = exchanges;
        traffic
    }

    fn read(&mut self, exchange: &Exchange) {
        let Some((version, rest)) = versioned(&exchange.request.path) else {
            return;
        };
        let endpoint = rest.trim_end_matches('/');
        match endpoint {
            "o/authorize" => self.authorizations.push(authorization(exchange)),
            "o/token" => {
                let request = token_request(exchange);
                self.record_tokens(&request);
                self.token_requests.push(request);
            }
            "connect/userinfo" => {
                let call = api_call(exchange, version, Resource::UserInfo, None);
                self.record_expiry(&call);
                self.api_calls.push(call);
            }
            _ => {
                if let Some(fhir) = rest.strip_prefix("fhir/")
                    && let Some(route) = crate::fhir::Route::parse(fhir)
                {
                    let call = api_call(exchange, version, route.resource, route.id);
                    self.record_expiry(&call);
                    self.api_calls.push(call);
                }
            }
        }
    }

    fn record_tokens(&mut self, request: &TokenRequest) {
        if !request.succeeded() {
            return;
        }
        if request.grant_type() == Some("refresh_token") {
            // Rotation replaces the refresh token used and the access tokens of its session.
            let old = request.form.get("refresh_token").unwrap_or_default();
            let paired_with = self.refresh_tokens.get(old).map(|life| life.issued_by);
            if let Some(life) = self.refresh_tokens.get_mut(old) {
                life.replaced_by.get_or_insert(request.exchange);
            }
            let replaced: Vec<String> = self
                .token_requests
                .iter()
                .filter(|earlier| earlier.succeeded())
                .filter(|earlier| {
                    Some(earlier.exchange) == paired_with
                        || (request.session.is_some() && earlier.session == request.session)
                })
                .filter_map(|earlier| earlier.answer_field("access_token").map(str::to_owned))
                .collect();
            for token in replaced {
                if let Some(life) = self.access_tokens.get_mut(&token) {
                    life.replaced_by.get_or_insert(request.exchange);
                }
            }
        }
        let life = TokenLife {
            issued_by: request.exchange,
            ..TokenLife::default()
        };
        if let Some(token) = request.answer_field("access_token") {
            self.access_tokens.insert(token.to_owned(), life.clone());
        }
        if let Some(token) = request.answer_field("refresh_token") {
            self.refresh_tokens.insert(token.to_owned(), life);
        }
    }

    fn record_expiry(&mut self, call: &ApiCall) {
        if call.expired_token
            && let Some(token) = &call.bearer
            && let Some(life) = self.access_tokens.get_mut(token)
        {
            life.expired_at.get_or_insert(call.exchange);
        }
    }

    /// The state of access token `token` when request `exchange` arrived.
    pub fn access_token_state(&self, token: &str, exchange: u64) -> TokenState {
        life_state(self.access_tokens.get(token), exchange)
    }

    /// The state of refresh token `token` when request `exchange` arrived (expiry does not apply).
    pub fn refresh_token_state(&self, token: &str, exchange: u64) -> TokenState {
        life_state(self.refresh_tokens.get(token), exchange)
    }

    /// The exchange with journal id `id`.
    pub fn exchange(&self, id: u64) -> Option<&Exchange> {
        self.exchanges
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .and_then(|index| self.exchanges.get(index))
    }

    /// The patient ids the token endpoint handed out (the `patient` field).
    pub fn issued_patients(&self) -> Vec<&str> {
        let mut patients: Vec<&str> = self
            .token_requests
            .iter()
            .filter(|t| t.succeeded())
            .filter_map(|t| t.answer_field("patient"))
            .collect();
        patients.dedup();
        patients
    }

    /// Successful (200) API calls of one resource type.
    pub fn successful(&self, resource: Resource) -> impl Iterator<Item = &ApiCall> {
        self.api_calls
            .iter()
            .filter(move |c| c.resource == resource && c.status == 200)
    }

    /// The ids of every resource of a type the server answered with (200), first-seen order.
    pub fn served_ids(&self, resource: Resource) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.successful(resource)
            .flat_map(ApiCall::resource_ids)
            .filter(|id| seen.insert(id.clone()))
            .collect()
    }
}

fn life_state(life: Option<&TokenLife>, exchange: u64) -> TokenState {
    let Some(life) = life else {
        return TokenState::Unknown;
    };
    if life.issued_by > exchange {
        return TokenState::Unknown;
    }
    if let Some(by) = life.replaced_by.filter(|by| *by < exchange) {
        return TokenState::Replaced { by };
    }
    if let Some(since) = life.expired_at.filter(|since| *since < exchange) {
        return TokenState::Expired { since };
    }
    TokenState::Current
}

/// `("v2", "o/token/")` of `/v2/o/token/`.
fn versioned(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    let (version, rest) = rest.split_once('/')?;
    matches!(version, "v1" | "v2").then_some((version, rest))
}

fn header(exchange: &Exchange, name: http::HeaderName) -> Option<String> {
    exchange.request.header(name).map(str::to_owned)
}

fn media_type(exchange: &Exchange) -> Option<String> {
    exchange
        .request
        .header(CONTENT_TYPE)
        .map(crate::params::media_type)
}

/// The form parameters of a urlencoded body (other bodies carry none here).
fn form(exchange: &Exchange) -> Params {
    if media_type(exchange).as_deref() == Some("application/x-www-form-urlencoded") {
        Params::from_query(std::str::from_utf8(&exchange.request.body).ok())
    } else {
        Params::default()
    }
}

fn json(exchange: &Exchange) -> Option<Value> {
    serde_json::from_slice(&exchange.response.body).ok()
}

fn authorization(exchange: &Exchange) -> Authorization {
    let mut params = Params::from_query(exchange.request.query.as_deref());
    params.extend(form(exchange));
    let location = exchange
        .response
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let redirect_params = location
        .as_deref()
        .and_then(|l| l.split_once('?'))
        .map(|(_, query)| Params::from_query(Some(query.split('#').next().unwrap_or_default())))
        .unwrap_or_default();
    Authorization {
        exchange: exchange.id,
        at: exchange.at,
        params,
        status: exchange.response.status.as_u16(),
        location,
        redirect_params,
    }
}

fn token_request(exchange: &Exchange) -> TokenRequest {
    TokenRequest {
        exchange: exchange.id,
        at: exchange.at,
        method: exchange.request.method.clone(),
        query: exchange.request.query.clone(),
        form: form(exchange),
        content_type: media_type(exchange),
        basic: client_auth::basic(&exchange.request.headers),
        status: exchange.response.status.as_u16(),
        answer: json(exchange),
        session: exchange.response.session,
    }
}

fn api_call(exchange: &Exchange, version: &str, resource: Resource, id: Option<String>) -> ApiCall {
    // The token exactly as the server's authentication reads it.
    let bearer = bearer::bearer_token(&exchange.request).map(str::to_owned);
    let expired_token = exchange.response.status == http::StatusCode::UNAUTHORIZED
        && exchange
            .response
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("expired"));
    ApiCall {
        exchange: exchange.id,
        at: exchange.at,
        method: exchange.request.method.clone(),
        path: exchange.request.path.clone(),
        version: version.to_owned(),
        resource,
        id,
        query: exchange.request.query.clone(),
        params: Params::from_query(exchange.request.query.as_deref()),
        bearer,
        accept: header(exchange, ACCEPT),
        accept_encoding: header(exchange, ACCEPT_ENCODING),
        status: exchange.response.status.as_u16(),
        content_encoding: exchange.content_encoding,
        expired_token,
        answer: json(exchange),
        session: exchange.response.session,
    }
}
