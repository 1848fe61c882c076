//! Builders of synthetic runs for the tests of the reads and output checks: journal
//! exchanges (a token grant, API calls with their answers), Bundles, and the evidence.

use crate::conform::check::{Check, Status, Verdict};
use crate::conform::evidence::{ClientEnd, ClientOutput, Evidence};
use crate::conform::traffic::Traffic;
use crate::exchange::{Request, Response};
use crate::scenario::{ClientType, Scenario, Source};
use crate::server::journal::Exchange;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// The patient the token endpoint issues in these runs.
pub const PATIENT: &str = "-20140000008325";
/// The access token it issues.
pub const TOKEN: &str = "access-1";
/// The origin the client calls.
pub const ORIGIN: &str = "http://127.0.0.1:8000";

/// One exchange being built.
pub struct Ex(Exchange);

impl Ex {
    /// A request `method target` (`/path?query`) with id `id`, arriving at `id` × 10 ms,
    /// answered 200 `{}`, with no request headers.
    pub fn new(id: u64, method: Method, target: &str) -> Ex {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (target.to_owned(), None),
        };
        Ex(Exchange {
            id,
            at: Duration::from_millis(id * 10),
            elapsed: Duration::from_millis(1),
            request: Request {
                method,
                path,
                query,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                origin: ORIGIN.to_owned(),
            },
            response: Response::json(StatusCode::OK, &json!({})),
            content_encoding: None,
            miss: None,
            refused: None,
        })
    }

    /// Sets a request header.
    pub fn header(mut self, name: &str, value: &str) -> Ex {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        self.0
            .request
            .headers
            .insert(name, HeaderValue::from_str(value).unwrap());
        self
    }

    /// Removes a request header.
    pub fn without(mut self, name: &str) -> Ex {
        self.0.request.headers.remove(name);
        self
    }

    /// Arrival time, in seconds since the server started.
    pub fn at(mut self, seconds: f64) -> Ex {
        self.0.at = Duration::from_secs_f64(seconds);
        self
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form(mut self, body: &str) -> Ex {
        self = self.header("content-type", "application/x-www-form-urlencoded");
        self.0.request.body = Bytes::from(body.to_owned());
        self
    }

    /// The answer's status.
    pub fn status(mut self, status: u16) -> Ex {
        self.0.response.status = StatusCode::from_u16(status).unwrap();
        self
    }

    /// The answer's JSON body.
    pub fn answer(mut self, body: Value) -> Ex {
        self.0.response.body = Bytes::from(body.to_string());
        self
    }

    /// Sets an answer header.
    pub fn answer_header(mut self, name: &str, value: &str) -> Ex {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        self.0.response = self.0.response.header(name, value);
        self
    }

    /// The answer went out gzip-compressed.
    pub fn gzip(mut self) -> Ex {
        self.0.content_encoding = Some("gzip");
        self
    }

    /// The finished exchange.
    pub fn done(self) -> Exchange {
        self.0
    }
}

/// A GET of `target` the way the good client sends it: bearer token, FHIR Accept, gzip.
pub fn get(id: u64, target: &str) -> Ex {
    Ex::new(id, Method::GET, target)
        .header("authorization", &format!("Bearer {TOKEN}"))
        .header("accept", "application/fhir+json")
        .header("accept-encoding", "gzip")
}

/// A code redeemed for [`TOKEN`] and [`PATIENT`].
pub fn token(id: u64) -> Exchange {
    Ex::new(id, Method::POST, "/v2/o/token/")
        .form("grant_type=authorization_code&code=c1&redirect_uri=x&code_verifier=v")
        .answer(json!({
            "access_token": TOKEN,
            "refresh_token": "refresh-1",
            "token_type": "Bearer",
            "expires_in": 36000,
            "patient": PATIENT,
        }))
        .done()
}

/// A searchset Bundle of `resource_type` with entries `ids` and a `next` link to `next`
/// (a target on [`ORIGIN`]), plus a `self` link.
pub fn bundle(resource_type: &str, ids: &[&str], next: Option<&str>) -> Value {
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| json!({"resource": {"resourceType": resource_type, "id": id}}))
        .collect();
    let mut links = vec![
        json!({"relation": "first", "url": format!("{ORIGIN}/v2/fhir/{resource_type}?_count=10&startIndex=0")}),
    ];
    if let Some(next) = next {
        links.push(json!({"relation": "next", "url": format!("{ORIGIN}{next}")}));
    }
    json!({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})
}

/// The scenario, client end and output of a run, held so [`Run::evidence`] can lend them
/// (shared by the tests of every check).
pub struct Run {
    /// The scenario.
    pub scenario: Scenario,
    /// The journal, typed.
    pub traffic: Traffic,
    /// How the client ended (exit 0 unless changed).
    pub client: ClientEnd,
    /// What it wrote (missing unless changed).
    pub output: ClientOutput,
}

impl Run {
    /// A run of the default scenario over `exchanges`; the client exits 0 without output.
    pub fn new(exchanges: Vec<Exchange>) -> Run {
        Run {
            scenario: scenario(""),
            traffic: Traffic::new(exchanges, false),
            client: ClientEnd {
                exit_code: Some(0),
                ..ClientEnd::default()
            },
            output: ClientOutput::Missing("BB_OUTPUT was not written and stdout is empty".into()),
        }
    }

    /// Uses the scenario with `extra` YAML after `version` and `name`.
    pub fn scenario(mut self, extra: &str) -> Run {
        self.scenario = scenario(extra);
        self
    }

    /// The client exited with `code`.
    pub fn exit(mut self, code: i32) -> Run {
        self.client.exit_code = Some(code);
        self
    }

    /// The client wrote `output`.
    pub fn output(mut self, output: Value) -> Run {
        self.output = ClientOutput::Json(output);
        self
    }

    /// Makes the scenario's first app public (no secret).
    pub fn public(mut self) -> Run {
        self.scenario.apps[0].client_type = ClientType::Public;
        self.scenario.apps[0].client_secret = None;
        self
    }

    /// The check's verdict on this run.
    pub fn judge(&self, check: &dyn Check) -> Verdict {
        check.evaluate(&self.evidence())
    }

    /// The evidence of the run.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence {
            scenario: &self.scenario,
            app: &self.scenario.apps[0],
            traffic: &self.traffic,
            client: &self.client,
            output: &self.output,
        }
    }
}

/// A scenario with `extra` YAML after `version` and `name`.
pub fn scenario(extra: &str) -> Scenario {
    crate::scenario::parse(
        &format!("version: 1\nname: t\n{extra}"),
        Source::Builtin("test"),
    )
    .unwrap()
}

/// Asserts a failure with `reason` and evidence `exchanges`.
pub fn assert_fail(verdict: &Verdict, reason: &str, exchanges: &[u64]) {
    assert_eq!(verdict.status, Status::Fail, "{verdict:?}");
    assert_eq!(verdict.reason, reason);
    assert_eq!(verdict.exchanges, exchanges);
}

/// Asserts a skip with `reason`.
pub fn assert_skip(verdict: &Verdict, reason: &str) {
    assert_eq!(verdict.status, Status::Skip, "{verdict:?}");
    assert_eq!(verdict.reason, reason);
}

/// Asserts a pass.
pub fn assert_pass(verdict: &Verdict) {
    assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
}
