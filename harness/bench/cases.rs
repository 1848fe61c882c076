//! The cases of the load benchmark and the requests each connection sends for them.

use super::BenchError;
use super::baseline::Fixed;
use super::load::{Answer, Connection, Script};
use base64::Engine;
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::Full;

/// The default confidential app (HTTP Basic on the token endpoint).
const CLIENT_ID: &str = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
/// Its secret.
const CLIENT_SECRET: &str = "bbh-sandbox-secret";
/// Claims on the EOB page under test.
pub(crate) const PAGE_CLAIMS: usize = 10;

/// One kind of request measured against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// `GET /v2/fhir/ExplanationOfBenefit/?_count=10`, plain.
    EobPage,
    /// The same with `Accept-Encoding: gzip`.
    EobPageGzip,
    /// `POST /v2/o/token/` with `grant_type=refresh_token`, each connection on its own chain.
    Refresh,
    /// `GET /v2/fhir/Patient/ID`.
    PatientRead,
}

impl Case {
    /// Every case, in report order.
    pub(crate) const ALL: [Case; 4] = [
        Case::EobPage,
        Case::EobPageGzip,
        Case::Refresh,
        Case::PatientRead,
    ];

    /// The case's name in the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Case::EobPage => "eob-page-10",
            Case::EobPageGzip => "eob-page-10-gzip",
            Case::Refresh => "refresh-token",
            Case::PatientRead => "patient-read",
        }
    }

    /// The bbh/baseline ratio the issue asks for, where it sets one.
    pub(crate) fn target_ratio(self) -> Option<f64> {
        match self {
            Case::EobPage | Case::EobPageGzip => Some(0.8),
            Case::Refresh | Case::PatientRead => None,
        }
    }

    /// A script for one connection: `host` is the server's `HOST:PORT`, `access_token` and
    /// `patient` come from a sign-in, `refresh_token` starts the connection's own chain.
    pub(crate) fn script(
        self,
        host: &str,
        access_token: &str,
        patient: &str,
        refresh_token: &str,
    ) -> Result<Box<dyn Script>, BenchError> {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, header_value(host)?);
        if self == Case::Refresh {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
            headers.insert(AUTHORIZATION, header_value(&format!("Basic {basic}"))?);
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            return Ok(Box::new(RefreshChain {
                headers,
                refresh_token: refresh_token.to_owned(),
            }));
        }
        headers.insert(
            AUTHORIZATION,
            header_value(&format!("Bearer {access_token}"))?,
        );
        let path = match self {
            Case::PatientRead => format!("/v2/fhir/Patient/{patient}"),
            _ => format!("/v2/fhir/ExplanationOfBenefit/?_count={PAGE_CLAIMS}"),
        };
        let gzip = self == Case::EobPageGzip;
        if gzip {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let uri = path.parse::<Uri>().map_err(|error| BenchError::Http {
            context: format!("request target {path}"),
            detail: error.to_string(),
        })?;
        Ok(Box::new(Fetch { uri, headers, gzip }))
    }

    /// Sends one request of this case to `bbh` and returns its answer for the baseline, after
    /// checking it (a page of exactly [`PAGE_CLAIMS`] claims for the EOB cases).
    pub(crate) async fn capture(
        self,
        bbh: std::net::SocketAddr,
        mut script: Box<dyn Script>,
    ) -> Result<Fixed, BenchError> {
        let context = || format!("capturing the {} answer of bbh serve", self.name());
        let mut connection = Connection::open(bbh).await?;
        let answer = connection
            .send(script.next())
            .await
            .map_err(|detail| BenchError::Http {
                context: context(),
                detail,
            })?;
        script
            .answered(&answer)
            .map_err(|detail| BenchError::Http {
                context: context(),
                detail,
            })?;
        if self == Case::EobPage {
            let claims = count(&answer.body, br#""resourceType":"ExplanationOfBenefit""#);
            if claims != PAGE_CLAIMS {
                return Err(BenchError::Http {
                    context: context(),
                    detail: format!("{claims} claims on the page, expected {PAGE_CLAIMS}"),
                });
            }
        }
        Ok(Fixed::captured(answer.status, answer.headers, answer.body))
    }
}

fn header_value(text: &str) -> Result<HeaderValue, BenchError> {
    HeaderValue::from_str(text).map_err(|error| BenchError::Http {
        context: "building a request header".into(),
        detail: error.to_string(),
    })
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

fn expect_ok(answer: &Answer) -> Result<(), String> {
    if answer.status == StatusCode::OK {
        Ok(())
    } else {
        Err(format!(
            "status {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
        ))
    }
}

/// The same GET again and again.
struct Fetch {
    uri: Uri,
    headers: HeaderMap,
    gzip: bool,
}

impl Script for Fetch {
    fn next(&mut self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(Bytes::new()));
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }

    fn answered(&mut self, answer: &Answer) -> Result<(), String> {
        expect_ok(answer)?;
        let gzipped = answer
            .headers
            .get(CONTENT_ENCODING)
            .is_some_and(|encoding| encoding == "gzip");
        if gzipped == self.gzip {
            Ok(())
        } else {
            Err(format!(
                "content-encoding gzip: {gzipped}, asked: {}",
                self.gzip
            ))
        }
    }
}

/// A refresh-token chain: each answer's new refresh token is sent next.
struct RefreshChain {
    headers: HeaderMap,
    refresh_token: String,
}

/// The part of a token answer the chain needs.
#[derive(serde::Deserialize)]
struct Refreshed {
    refresh_token: String,
}

impl Script for RefreshChain {
    fn next(&mut self) -> Request<Full<Bytes>> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", &self.refresh_token)
            .finish();
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = Uri::from_static("/v2/o/token/");
        *request.headers_mut() = self.headers.clone();
        request
    }

    fn answered(&mut self, answer: &Answer) -> Result<(), String> {
        expect_ok(answer)?;
        let refreshed: Refreshed = serde_json::from_slice(&answer.body)
            .map_err(|error| format!("token answer: {error}"))?;
        self.refresh_token = refreshed.refresh_token;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refresh_chain_sends_the_token_of_the_last_answer()
    -> Result<(), Box<dyn std::error::Error>> {
        use http_body_util::BodyExt;
        let mut script = Case::Refresh.script("127.0.0.1:1", "", "", "first")?;
        let first = script.next().into_body().collect().await?.to_bytes();
        assert_eq!(first, "grant_type=refresh_token&refresh_token=first");
        let answer = Answer {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"access_token":"a","refresh_token":"second"}"#),
        };
        assert_eq!(script.answered(&answer), Ok(()));
        let request = script.next();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/v2/o/token/");
        let second = request.into_body().collect().await?.to_bytes();
        assert_eq!(second, "grant_type=refresh_token&refresh_token=second");
        Ok(())
    }

    #[test]
    fn a_gzip_case_refuses_a_plain_answer() -> Result<(), BenchError> {
        let mut script = Case::EobPageGzip.script("127.0.0.1:1", "token", "p", "")?;
        let request = script.next();
        assert_eq!(request.headers()[ACCEPT_ENCODING], "gzip");
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer token");
        let plain = Answer {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        assert!(script.answered(&plain).is_err());
        Ok(())
    }

    #[test]
    fn claims_are_counted() {
        assert_eq!(count(b"xaxxa", b"xa"), 2);
    }
}
