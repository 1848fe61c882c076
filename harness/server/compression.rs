//! Response compression per profile (behaviour file §5, DESIGN "Profiles"). Only when the
//! client sends `Accept-Encoding: gzip`:
//! - `documented` (the guide, nginx): bodies of at least 1000 bytes whose type the guide
//!   lists; `Vary: Accept-Encoding` on compressed bodies only.
//! - `current` (Django's `GZipMiddleware`): bodies of at least 200 bytes of any type, and
//!   only when the gzip body is smaller; `Vary: Accept-Encoding` on every body of at least
//!   200 bytes, compressed or not.
//!
//! Otherwise the body goes out exactly as built, with no `Content-Encoding` header at all.

use crate::exchange::Response;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

use crate::scenario::Profile;

/// Smallest body the guide compresses.
pub const MIN_GZIP_BYTES: usize = 1000;

/// Smallest body Django's `GZipMiddleware` compresses (`current`).
pub const MIN_GZIP_BYTES_CURRENT: usize = 200;

/// Content types the guide compresses.
const GZIP_TYPES: [&str; 4] = [
    "text/html",
    "text/plain",
    "application/json",
    "application/fhir+json",
];

/// Whether an `Accept-Encoding` value accepts gzip (`gzip`, any case, without `q=0`).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|value| {
        value.split(',').any(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case("gzip") && !refused
        })
    })
}

/// How a response goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// The gzip body, when the rules say to compress.
    pub gzipped: Option<Bytes>,
    /// Whether `Vary: Accept-Encoding` is added.
    pub vary: bool,
}

/// How `response` is encoded for a client that sent `accept_encoding`, in `profile`.
pub fn encode(response: &Response, accept_encoding: Option<&str>, profile: Profile) -> Encoding {
    encode_with(response, accept_encoding, profile, |body| {
        gzip(body).map(Bytes::from)
    })
}

/// [`encode`], with the gzip body of the response's body taken from `gzip` (a cache) when
/// the rules say to compress.
pub fn encode_with(
    response: &Response,
    accept_encoding: Option<&str>,
    profile: Profile,
    gzip: impl FnOnce(&Bytes) -> Option<Bytes>,
) -> Encoding {
    let already_encoded = response
        .headers
        .contains_key(http::header::CONTENT_ENCODING);
    if already_encoded {
        return Encoding {
            gzipped: None,
            vary: false,
        };
    }
    match profile {
        Profile::Documented => {
            let eligible = accepts_gzip(accept_encoding)
                && response.body.len() >= MIN_GZIP_BYTES
                && response
                    .media_type()
                    .is_some_and(|t| GZIP_TYPES.contains(&t.as_str()));
            let gzipped = eligible.then(|| gzip(&response.body)).flatten();
            Encoding {
                vary: gzipped.is_some(),
                gzipped,
            }
        }
        Profile::Current => {
            let long_enough = response.body.len() >= MIN_GZIP_BYTES_CURRENT;
            let gzipped = (long_enough && accepts_gzip(accept_encoding))
                .then(|| gzip(&response.body))
                .flatten()
                .filter(|gzipped| gzipped.len() < response.body.len());
            Encoding {
                gzipped,
                vary: long_enough,
            }
        }
    }
}

/// `body` as a gzip stream (`None` only if the encoder fails).
pub(crate) fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body).ok()?;
    let mut gzipped = encoder.finish().ok()?;
    // Cached gzip bodies hold only their bytes, not the slack of the growing buffer.
    gzipped.shrink_to_fit();
    Some(gzipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use http::StatusCode;
    use std::io::Read;

    fn json_of(len: usize) -> Response {
        Response::with_body(StatusCode::OK, "application/fhir+json", "x".repeat(len))
    }

    #[test]
    fn accept_encoding_forms() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, GZIP;q=0.5")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("x-gzip")));
        assert!(!accepts_gzip(None));
    }

    fn gzip_body(response: &Response, accept_encoding: Option<&str>) -> Option<Bytes> {
        encode(response, accept_encoding, Profile::Documented).gzipped
    }

    #[test]
    fn threshold_is_1000_bytes() {
        assert!(gzip_body(&json_of(999), Some("gzip")).is_none());
        let gzipped = gzip_body(&json_of(1000), Some("gzip"));
        let mut plain = String::new();
        let decoded = gzipped.map(|g| GzDecoder::new(&g[..]).read_to_string(&mut plain).is_ok());
        assert_eq!(decoded, Some(true));
        assert_eq!(plain.len(), 1000);
    }

    #[test]
    fn only_listed_types() {
        let image = Response::with_body(StatusCode::OK, "image/png", vec![0u8; 5000]);
        assert!(gzip_body(&image, Some("gzip")).is_none());
        let html = Response::html(StatusCode::OK, "x".repeat(5000));
        assert!(gzip_body(&html, Some("gzip")).is_some());
        assert!(gzip_body(&json_of(5000), None).is_none());
    }

    #[test]
    fn current_compresses_any_type_from_200_bytes_when_smaller() {
        let current =
            |response: &Response, accept: Option<&str>| encode(response, accept, Profile::Current);
        let small = current(&json_of(199), Some("gzip"));
        assert_eq!((small.gzipped.is_some(), small.vary), (false, false));
        let edge = current(&json_of(200), Some("gzip"));
        assert_eq!((edge.gzipped.is_some(), edge.vary), (true, true));
        let image = Response::with_body(StatusCode::OK, "image/png", vec![0u8; 300]);
        assert!(current(&image, Some("gzip")).gzipped.is_some());
        let refused = current(&json_of(5000), None);
        assert_eq!((refused.gzipped.is_some(), refused.vary), (false, true));
        // Incompressible bytes are not worth compressing: sent plain, still with Vary.
        let noise: Vec<u8> = (0..13u8)
            .flat_map(|i| <sha2::Sha256 as sha2::Digest>::digest([i]))
            .collect();
        let random = current(
            &Response::with_body(StatusCode::OK, "application/octet-stream", noise),
            Some("gzip"),
        );
        assert_eq!((random.gzipped.is_some(), random.vary), (false, true));
    }
}
