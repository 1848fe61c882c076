//! The error answers of BB2's OAuth endpoints, in their two body styles (behaviour file §2.7):
//! oauthlib's plain RFC 6749 bodies, and BB2's own bodies that add `status_code`; plus the
//! HTML pages BB2 shows in the browser at /authorize.

use crate::exchange::Response;
use http::StatusCode;
use http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use serde_json::{Map, Value, json};

/// An oauthlib error: `{"error": ..., "error_description": ...}` with `no-store` headers.
/// `error: None` renders `"error": null` (oauthlib's bare `OAuth2Error`).
pub fn oauthlib(status: StatusCode, error: Option<&str>, description: Option<&str>) -> Response {
    let mut body = Map::new();
    body.insert("error".into(), error.map_or(Value::Null, Value::from));
    if let Some(description) = description {
        body.insert("error_description".into(), description.into());
    }
    no_store(Response::json(status, &Value::Object(body)))
}

/// oauthlib's `invalid_client`: 401 with `WWW-Authenticate: Bearer error="invalid_client"`.
pub fn invalid_client() -> Response {
    oauthlib(StatusCode::UNAUTHORIZED, Some("invalid_client"), None)
        .header(WWW_AUTHENTICATE, "Bearer error=\"invalid_client\"")
}

/// oauthlib's `invalid_grant` (unknown, expired, used or foreign code; wrong verifier; reused
/// refresh token).
pub fn invalid_grant() -> Response {
    oauthlib(StatusCode::BAD_REQUEST, Some("invalid_grant"), None)
}

/// oauthlib's `invalid_request` with a description.
pub fn invalid_request(description: &str) -> Response {
    oauthlib(
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
        Some(description),
    )
}

/// A BB2 error: `{"status_code": n, "error": ..., "error_description": ...}`.
pub fn bb2(status: StatusCode, error: &str, description: &str) -> Response {
    let body =
        json!({"status_code": status.as_u16(), "error": error, "error_description": description});
    Response::json(status, &body)
}

/// A BB2 message: `{"status_code": n, "message": ...}`.
pub fn bb2_message(status: StatusCode, message: &str) -> Response {
    Response::json(
        status,
        &json!({"status_code": status.as_u16(), "message": message}),
    )
}

/// The page BB2 shows for an unknown or malformed `client_id` (`app_inactive_401.html`).
pub fn app_page(status: StatusCode, detail: &str) -> Response {
    Response::html(status, page("401 - Unauthorized", detail, ""))
}

/// The page oauthlib's fatal errors render (bad `redirect_uri`, duplicate parameters): never a
/// redirect, as RFC 6749 §4.1.2.1 requires.
pub fn fatal_page(error: &str, description: &str) -> Response {
    let detail = format!("Error: {error}. {description}");
    Response::html(
        StatusCode::BAD_REQUEST,
        page("Authorization error", &detail, ""),
    )
}

/// BB2's `bene_404.html`: the beneficiary cannot be found; it links back to the app with
/// `error=not_found`.
pub fn beneficiary_not_found_page(back_to_app: &str) -> Response {
    let link = format!(
        "<p><a href=\"{}\">Return to the application</a></p>",
        escape(back_to_app)
    );
    Response::html(
        StatusCode::NOT_FOUND,
        page(
            "Beneficiary not found",
            "We could not find your Medicare information.",
            &link,
        ),
    )
}

/// A plain-text-like 400 as Django's `HttpResponseBadRequest` sends it.
pub fn bad_request_text(message: &str) -> Response {
    Response::html(StatusCode::BAD_REQUEST, message.to_owned())
}

/// Django's 500 for failures of the server itself (e.g. the OS random source failed).
pub fn server_error() -> Response {
    Response::json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"error": "Server Error (500)"}),
    )
}

fn no_store(response: Response) -> Response {
    response
        .header(CACHE_CONTROL, "no-store")
        .header(PRAGMA, "no-cache")
}

fn page(title: &str, detail: &str, extra_html: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p>{extra_html}</body></html>\n",
        escape(detail)
    )
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauthlib_bodies() {
        assert_eq!(invalid_grant().body, r#"{"error":"invalid_grant"}"#);
        let verifier = oauthlib(
            StatusCode::BAD_REQUEST,
            None,
            Some("code_verifier min length is 43"),
        );
        assert_eq!(
            verifier.body,
            r#"{"error":null,"error_description":"code_verifier min length is 43"}"#
        );
        assert_eq!(invalid_client().status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn bb2_bodies_lead_with_status_code() {
        let response = bb2(StatusCode::UNAUTHORIZED, "invalid_client", "App id failed");
        assert_eq!(
            response.body,
            r#"{"status_code":401,"error":"invalid_client","error_description":"App id failed"}"#
        );
    }

    #[test]
    fn pages_escape_what_clients_send() {
        let response = beneficiary_not_found_page("http://x/cb?a=1&b=\"<script>");
        let html = String::from_utf8_lossy(&response.body).into_owned();
        assert!(html.contains("a=1&amp;b=&quot;&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }
}
