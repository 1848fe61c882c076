//! Request size limits, and the answers of the edge that enforces each: nginx in front of BB2
//! (behaviour file §1, `nginx.conf` with `large_client_header_buffers` at its default of four
//! 8 KiB buffers) for the request line and the headers, Django for the body.

use crate::exchange::Response;
use crate::oauth::errors;
use http::StatusCode;
use http::header::{CONNECTION, HeaderValue};

/// Largest request line (method, target, version), nginx's one large header buffer; longer →
/// nginx's 414.
pub const MAX_REQUEST_LINE_BYTES: usize = 8192;

/// Largest header line (`name: value`), nginx's one large header buffer; longer → nginx's 400.
pub const MAX_HEADER_LINE_BYTES: usize = 8192;

/// Largest request head (request line and every header line), nginx's four large header
/// buffers; larger → nginx's 400.
pub const MAX_HEAD_BYTES: usize = 4 * 8192;

/// Largest request body read (Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`, 2.5 MiB); larger → 400.
pub const MAX_BODY_BYTES: usize = 2_621_440;

/// Bytes a line takes on the wire besides its text: `: ` between a header's name and value,
/// and the closing CRLF.
const HEADER_LINE_FRAMING: usize = 4;

/// Why a request was refused before any route or stub saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its request line is longer than [`MAX_REQUEST_LINE_BYTES`].
    RequestLineTooLong,
    /// A header line is longer than [`MAX_HEADER_LINE_BYTES`], or the head is larger than
    /// [`MAX_HEAD_BYTES`].
    HeadersTooLarge,
    /// Its body is larger than [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// Its body ended early: the client closed the connection mid-body, or broke its framing.
    BodyCutOff,
}

impl Refusal {
    /// The head's refusal, if any: its request line and header lines measured as hyper parsed
    /// them (a value without the blanks around it; an origin-form target without a fragment).
    pub fn of_head(parts: &http::request::Parts) -> Option<Refusal> {
        let target = parts
            .uri
            .path_and_query()
            .map_or(parts.uri.path().len(), |target| target.as_str().len());
        // `METHOD SP target SP HTTP/1.1 CRLF`
        let request_line = parts.method.as_str().len() + 1 + target + 11;
        if request_line > MAX_REQUEST_LINE_BYTES {
            return Some(Refusal::RequestLineTooLong);
        }
        let mut head = request_line;
        for (name, value) in &parts.headers {
            let line = name.as_str().len() + value.len() + HEADER_LINE_FRAMING;
            head += line;
            if line > MAX_HEADER_LINE_BYTES || head > MAX_HEAD_BYTES {
                return Some(Refusal::HeadersTooLarge);
            }
        }
        None
    }

    /// Whether nginx answers it (its page then carries none of Django's headers).
    pub fn by_nginx(self) -> bool {
        matches!(self, Refusal::RequestLineTooLong | Refusal::HeadersTooLarge)
    }

    /// What it says in a transcript.
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::RequestLineTooLong => "request line over 8 KiB (nginx's 414)",
            Refusal::HeadersTooLarge => {
                "a header line over 8 KiB or a head over 32 KiB (nginx's 400)"
            }
            Refusal::BodyTooLarge => "body over 2.5 MiB (Django's 400)",
            Refusal::BodyCutOff => {
                "body cut off: the client closed the connection or broke its framing mid-body"
            }
        }
    }

    /// The answer the edge gives: nginx's pages (the connection then closed) for the head,
    /// Django's plain 400 for the body.
    pub fn response(self) -> Response {
        let closing = |response: Response| {
            let mut response = response;
            response
                .headers
                .insert(CONNECTION, HeaderValue::from_static("close"));
            response
        };
        match self {
            Refusal::RequestLineTooLong => closing(Response::html(
                StatusCode::URI_TOO_LONG,
                nginx_page(
                    "414 Request-URI Too Large",
                    "414 Request-URI Too Large",
                    None,
                ),
            )),
            Refusal::HeadersTooLarge => closing(Response::html(
                StatusCode::BAD_REQUEST,
                nginx_page(
                    "400 Request Header Or Cookie Too Large",
                    "400 Bad Request",
                    Some("Request Header Or Cookie Too Large"),
                ),
            )),
            Refusal::BodyTooLarge | Refusal::BodyCutOff => {
                errors::bad_request_text("<h1>Bad Request (400)</h1>")
            }
        }
    }
}

/// nginx's built-in error page.
fn nginx_page(title: &str, heading: &str, detail: Option<&str>) -> String {
    let detail = detail
        .map(|detail| format!("<center>{detail}</center>\r\n"))
        .unwrap_or_default();
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{heading}</h1></center>\r\n{detail}<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(target: &str, headers: &[(&str, usize)]) -> http::request::Parts {
        let mut builder = http::Request::get(target);
        for (name, len) in headers {
            builder = builder.header(*name, "a".repeat(*len));
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_limits_fall_where_nginx_puts_them() {
        // `GET ` + target + ` HTTP/1.1\r\n` is exactly 8192 bytes.
        let longest = format!("/{}", "a".repeat(MAX_REQUEST_LINE_BYTES - 15 - 1));
        assert_eq!(Refusal::of_head(&parts(&longest, &[])), None);
        let longer = format!("{longest}a");
        assert_eq!(
            Refusal::of_head(&parts(&longer, &[])),
            Some(Refusal::RequestLineTooLong)
        );
        // `x-a: ` + value + CRLF is exactly 8192 bytes.
        let widest = MAX_HEADER_LINE_BYTES - 3 - 4;
        assert_eq!(Refusal::of_head(&parts("/", &[("x-a", widest)])), None);
        assert_eq!(
            Refusal::of_head(&parts("/", &[("x-a", widest + 1)])),
            Some(Refusal::HeadersTooLarge)
        );
        let four = [("x-a", 8000), ("x-b", 8000), ("x-c", 8000), ("x-d", 8000)];
        assert_eq!(Refusal::of_head(&parts("/", &four)), None);
        let mut more = four.to_vec();
        more.push(("x-e", 1000));
        assert_eq!(
            Refusal::of_head(&parts("/", &more)),
            Some(Refusal::HeadersTooLarge)
        );
        // `GET / HTTP/1.1\r\n` (16 bytes) and four lines of 7 + 8,181 bytes: exactly 32 KiB.
        let full = [("x-a", 8181), ("x-b", 8181), ("x-c", 8181), ("x-d", 8181)];
        assert_eq!(Refusal::of_head(&parts("/", &full)), None);
        let over = [("x-a", 8181), ("x-b", 8181), ("x-c", 8181), ("x-d", 8182)];
        assert_eq!(
            Refusal::of_head(&parts("/", &over)),
            Some(Refusal::HeadersTooLarge)
        );
    }

    #[test]
    fn head_refusals_close_the_connection_with_nginxs_pages() {
        let response = Refusal::HeadersTooLarge.response();
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.headers[CONNECTION], "close");
        let page = String::from_utf8_lossy(&response.body);
        assert!(page.contains("<center>Request Header Or Cookie Too Large</center>"));
        let response = Refusal::RequestLineTooLong.response();
        assert_eq!(response.status, StatusCode::URI_TOO_LONG);
        assert_eq!(
            Refusal::BodyCutOff.response().body,
            "<h1>Bad Request (400)</h1>"
        );
    }
}
