//! The cache of rendered FHIR answers and their gzip bodies: an answer served from the cache
//! is byte for byte the answer a server that never saw the request renders, plain and
//! gzipped, and every part of the key tells answers apart.

use crate::support::*;
use bluebutton_harness::Scenario;
use bluebutton_harness::scenario::{self, Profile};
use reqwest::Method;

/// One FHIR request, with everything its bytes may depend on.
#[derive(Debug, Clone, Copy)]
struct Probe {
    login: &'static str,
    method: &'static str,
    path: &'static str,
    accept: Option<&'static str>,
    /// Sent explicitly, so that servers on different ports answer the same links.
    host: &'static str,
    gzip: bool,
}

const BASE: Probe = Probe {
    login: "BBUser20023",
    method: "GET",
    path: "/v2/fhir/ExplanationOfBenefit/?_count=10",
    accept: None,
    host: "bbh.test:8000",
    gzip: false,
};

/// Requests whose answers differ from [`BASE`]'s by one part of the key each.
const VARIANTS: [(&str, Probe); 10] = [
    (
        "query",
        Probe {
            path: "/v2/fhir/ExplanationOfBenefit/?_count=5",
            ..BASE
        },
    ),
    (
        "no query",
        Probe {
            path: "/v2/fhir/ExplanationOfBenefit/",
            ..BASE
        },
    ),
    (
        "path (no slash)",
        Probe {
            path: "/v2/fhir/ExplanationOfBenefit?_count=10",
            ..BASE
        },
    ),
    (
        "API version",
        Probe {
            path: "/v1/fhir/ExplanationOfBenefit/?_count=10",
            ..BASE
        },
    ),
    (
        "resource",
        Probe {
            path: "/v2/fhir/Coverage/?_count=10",
            ..BASE
        },
    ),
    (
        "read",
        Probe {
            path: "/v2/fhir/Patient/-20140000000024",
            ..BASE
        },
    ),
    (
        "origin",
        Probe {
            host: "localhost:9999",
            ..BASE
        },
    ),
    (
        "negotiated type",
        Probe {
            accept: Some("application/json"),
            ..BASE
        },
    ),
    (
        "Accept parameters",
        Probe {
            accept: Some("application/fhir+json; fhirVersion=4.0"),
            ..BASE
        },
    ),
    (
        "beneficiary",
        Probe {
            login: "BBUser29999",
            ..BASE
        },
    ),
];

/// A server and a token per login on it.
struct Server {
    harness: Harness,
    tokens: Vec<(&'static str, String)>,
}

impl Server {
    async fn start(scenario: &Scenario) -> Server {
        Server {
            harness: Harness::start(scenario.clone()).await,
            tokens: Vec::new(),
        }
    }

    async fn send(&mut self, probe: Probe) -> Reply {
        let token = match self.tokens.iter().find(|(login, _)| *login == probe.login) {
            Some((_, token)) => token.clone(),
            None => {
                let token = self.harness.access_token_for(probe.login).await;
                self.tokens.push((probe.login, token.clone()));
                token
            }
        };
        let method = Method::from_bytes(probe.method.as_bytes()).unwrap();
        let h = &self.harness;
        let mut request = h
            .client
            .request(method, h.url(probe.path))
            .bearer_auth(token)
            .header("host", probe.host);
        if let Some(accept) = probe.accept {
            request = request.header("accept", accept);
        }
        if probe.gzip {
            request = request.header("accept-encoding", "gzip");
        }
        let reply = h.send(request).await;
        assert_eq!(reply.status, reqwest::StatusCode::OK, "{probe:?}");
        reply
    }
}

/// The answer of a server that never saw the request (nor any other FHIR request).
async fn fresh(scenario: &Scenario, probe: Probe) -> Reply {
    Server::start(scenario).await.send(probe).await
}

/// Status, headers and body, but the `Date` and the token's remaining rate.
fn wire(reply: &Reply) -> (u16, Vec<(String, String)>, bytes::Bytes) {
    let headers = reply
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-ratelimit-remaining"))
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    (reply.status.as_u16(), headers, reply.body.clone())
}

fn with_profile(profile: Profile) -> Scenario {
    let mut scenario = scenario::builtin("oauth-success").unwrap();
    scenario.profile = profile;
    scenario
}

#[tokio::test]
async fn cached_answers_are_the_fresh_bytes_plain_and_gzipped() {
    for profile in [Profile::Documented, Profile::Current] {
        let scenario = with_profile(profile);
        let mut server = Server::start(&scenario).await;
        for (_, probe) in std::iter::once(("base", BASE)).chain(VARIANTS) {
            for gzip in [false, true] {
                let probe = Probe { gzip, ..probe };
                let fresh = wire(&fresh(&scenario, probe).await);
                // The first answer renders (or, gzipped, compresses) and keeps it; the
                // second comes from the cache.
                for round in ["first", "cached"] {
                    let reply = wire(&server.send(probe).await);
                    assert_eq!(reply, fresh, "{profile:?} {round} {probe:?}");
                }
            }
        }
        let encoded = server.send(Probe { gzip: true, ..BASE }).await;
        assert_eq!(encoded.header("content-encoding"), Some("gzip"));
    }
}

#[tokio::test]
async fn gzip_first_then_plain_serves_both_from_one_page() {
    let scenario = with_profile(Profile::Documented);
    let mut server = Server::start(&scenario).await;
    let gzipped = Probe { gzip: true, ..BASE };
    let first = wire(&server.send(gzipped).await);
    let plain = wire(&server.send(BASE).await);
    assert_eq!(first, wire(&fresh(&scenario, gzipped).await));
    assert_eq!(plain, wire(&fresh(&scenario, BASE).await));
}

#[tokio::test]
async fn each_key_part_changes_the_answer() {
    let scenario = with_profile(Profile::Documented);
    let mut server = Server::start(&scenario).await;
    let base = wire(&server.send(BASE).await);
    let base_gzip = wire(&server.send(Probe { gzip: true, ..BASE }).await);
    for (part, probe) in VARIANTS {
        for (gzip, base) in [(false, &base), (true, &base_gzip)] {
            let probe = Probe { gzip, ..probe };
            // Asked after the base page was cached: a key without this part would answer the
            // base page's bytes.
            let reply = wire(&server.send(probe).await);
            assert_ne!(&reply, base, "{part}: {probe:?}");
            assert_eq!(
                reply,
                wire(&fresh(&scenario, probe).await),
                "{part}: {probe:?}"
            );
        }
    }
}

#[tokio::test]
async fn head_and_get_share_a_page() {
    let scenario = with_profile(Profile::Documented);
    let mut server = Server::start(&scenario).await;
    let head = Probe {
        method: "HEAD",
        ..BASE
    };
    let headed = server.send(head).await;
    assert!(headed.body.is_empty());
    let got = wire(&server.send(BASE).await);
    assert_eq!(got, wire(&fresh(&scenario, BASE).await));
    let (_, head_headers, _) = wire(&headed);
    let (_, get_headers, _) = &got;
    assert_eq!(&head_headers, get_headers, "HEAD has GET's headers");
}

#[tokio::test]
async fn a_loaded_scenario_is_not_served_the_old_worlds_pages() {
    let scenario = with_profile(Profile::Documented);
    let mut server = Server::start(&scenario).await;
    let before = wire(&server.send(BASE).await);
    // The seed is no part of the key: the new world's cache starts empty.
    let mut reseeded = scenario.clone();
    reseeded.seed = scenario.seed.wrapping_add(1);
    server.harness.server.load(reseeded.clone());
    server.tokens.clear();
    let after = wire(&server.send(BASE).await);
    assert_ne!(before, after);
    assert_eq!(after, wire(&fresh(&reseeded, BASE).await));
}
