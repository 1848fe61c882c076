//! Response compression, `documented` profile (the guide; behaviour file §5): gzip only when
//! the client sends `Accept-Encoding: gzip`, the body is at least 1000 bytes, and its type is
//! one the guide lists. Otherwise the body goes out exactly as built, with no
//! `Content-Encoding` header at all.

use crate::exchange::Response;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// Smallest body the guide compresses.
pub const MIN_GZIP_BYTES: usize = 1000;

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

/// The gzip body of `response` when the rules say to compress it.
pub fn gzip_body(response: &Response, accept_encoding: Option<&str>) -> Option<Vec<u8>> {
    let eligible = accepts_gzip(accept_encoding)
        && response.body.len() >= MIN_GZIP_BYTES
        && response
            .media_type()
            .is_some_and(|t| GZIP_TYPES.contains(&t.as_str()));
    if !eligible {
        return None;
    }
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(response.body.len() / 4),
        Compression::fast(),
    );
    encoder.write_all(&response.body).ok()?;
    encoder.finish().ok()
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

    #[test]
    fn threshold_is_1000_bytes() {
        assert!(gzip_body(&json_of(999), Some("gzip")).is_none());
        let gzipped = gzip_body(&json_of(1000), Some("gzip"));
        let mut plain = String::new();
        let decoded = gzipped.map(|g| {
            GzDecoder::new(g.as_slice())
                .read_to_string(&mut plain)
                .is_ok()
        });
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
}
