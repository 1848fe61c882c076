//! What BB2 answers when its data source (BFD) fails behind a request (`then.fault` of a
//! stub), per endpoint, with the bodies of behaviour file §2.8, §3.2 and §8.3:
//! - FHIR views: 502 `{"detail": "A failure occurred contacting the upstream server"}` for a
//!   BFD failure; 500 `{"error": "Server Error (500)"}` for a timeout (the view does not catch
//!   it, Django's handler answers).
//! - `/{v}/fhir/metadata`: BFD's status with BB2's internal error dict (504 on a timeout);
//!   a failure answers as the FHIR views do.
//! - The token endpoint (a refresh re-checks the beneficiary in BFD): 502
//!   `{"status_code": 502, "message": "Failed to retrieve data from data source."}`; a timeout
//!   is Django's 500.
//! - Any other path: as the FHIR views.
//!
//! `too-many-requests` answers as BB2's throttle does when a token's window is full
//! (behaviour file §3.3), on any path.

use crate::api_version::ApiVersion;
use crate::exchange::{Request, Response};
use crate::fhir::negotiation;
use crate::oauth::errors;
use crate::scenario::BackendFault;
use crate::world::throttle::Throttle;
use http::StatusCode;
use http::header::ACCEPT;
use serde_json::json;

/// BB2's answer to `request` when BFD fails as `fault` says.
pub fn answer(fault: BackendFault, request: &Request) -> Response {
    let rest = ApiVersion::split_path(&request.path).map_or("", |(_, rest)| rest);
    let token = rest == "o/token" || rest == "o/token/";
    match (fault, rest) {
        (BackendFault::Timeout, "fhir/metadata") => Response::json(
            StatusCode::GATEWAY_TIMEOUT,
            &json!({
                "errors": ["The gateway has timed out", "Failed to reach FHIR Database."],
                "code": 504,
                "status_code": 504,
                "text": "The gateway has timed out",
            }),
        ),
        (BackendFault::Timeout, _) => errors::server_error(),
        (BackendFault::Failure, _) if token => errors::bb2_message(
            StatusCode::BAD_GATEWAY,
            "Failed to retrieve data from data source.",
        ),
        (BackendFault::Failure, _) => Response::detail(
            StatusCode::BAD_GATEWAY,
            &content_type(request),
            "A failure occurred contacting the upstream server",
        ),
    }
}

/// BB2's throttle answer to `request` (`throttle` gives the `X-RateLimit-*` values): 429,
/// DRF's detail, `Retry-After: retry_after`, in the content type the request negotiates.
pub fn too_many_requests(throttle: &Throttle, retry_after: u64, request: &Request) -> Response {
    throttle.refusal(retry_after, &content_type(request))
}

/// The content type DRF renders errors in for this request's `Accept`.
fn content_type(request: &Request) -> String {
    negotiation::negotiate(request.header(ACCEPT))
        .unwrap_or_else(|| negotiation::DEFAULT_CONTENT_TYPE.to_owned())
}
