//! Rendering `{{...}}` templates in stub values for a request: request echoes, and fresh
//! values bound per loaded scenario. Their syntax, and the check run when a scenario is parsed,
//! are the scenario's ([`crate::scenario::template`]).
//!
//! `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}` (a field of a
//! url-encoded or multipart body: the fields `when.form` matches), `{{request.header.NAME}}`
//! (any case) render the request's value, the first one when repeated, or nothing when absent;
//! `{{fresh.NAME}}` renders a random 32-character alphanumeric value drawn from the operating
//! system's CSPRNG the first time NAME is rendered, and the same value for NAME after that
//! until the scenario is loaded again (a load or reset draws new ones). Any other `{{...}}`
//! text is literal, and so is an invalid template (which only a stub mounted from code can
//! bring, the parser refuses it).

use crate::exchange::Request;
use crate::params::Params;
use crate::scenario::template::{Piece, pieces};
use http::HeaderName;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use thiserror::Error;

/// Length of a `{{fresh.NAME}}` value.
pub const FRESH_LENGTH: usize = 32;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The operating system could not provide random bytes for a fresh value.
#[derive(Debug, Error)]
#[error("the system random number generator failed: {0}")]
pub struct FreshError(getrandom::Error);

/// Values bound once per loaded scenario for `{{fresh.NAME}}`, stable per name.
#[derive(Debug, Default)]
pub struct Fresh {
    values: Mutex<HashMap<String, String>>,
}

impl Fresh {
    /// The value bound to `name`, drawn now if it has none yet.
    pub fn value(&self, name: &str) -> Result<String, FreshError> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = values.get(name) {
            return Ok(value.clone());
        }
        let value = random_alphanumeric(FRESH_LENGTH)?;
        values.insert(name.to_owned(), value.clone());
        Ok(value)
    }
}

/// `length` alphanumerics from the operating system's CSPRNG, each equally likely.
fn random_alphanumeric(length: usize) -> Result<String, FreshError> {
    let mut value = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while value.len() < length {
        getrandom::fill(&mut buffer).map_err(FreshError)?;
        // Rejection sampling: 248 = 4 * 62.
        for &byte in buffer.iter().filter(|&&b| b < 248) {
            if value.len() == length {
                break;
            }
            value.push(char::from(ALPHABET[usize::from(byte % 62)]));
        }
    }
    Ok(value)
}

/// What templates render from: a request, its form fields and the scenario's fresh values.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The request.
    pub request: &'a Request,
    /// Its form fields, read once from a url-encoded or multipart body
    /// ([`Params::from_body`]), as `when.form` matches them.
    pub form: &'a Params,
    /// The fresh values of the loaded scenario.
    pub fresh: &'a Fresh,
}

/// One run of a text with its templates rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run<'s> {
    /// Text as written (an invalid template included).
    Written(&'s str),
    /// Text a template brought in: a value of the request, or a fresh value.
    Rendered(&'s str),
}

/// Calls `out` with each run of `text` rendered for `context`, in order. A value the request
/// does not have renders nothing, and so does a fresh value the operating system could not
/// draw (reported on stderr); an invalid template stays as written.
pub fn render_each(text: &str, context: &Context<'_>, mut out: impl FnMut(Run<'_>)) {
    let request = context.request;
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) | Piece::Invalid(text) => out(Run::Written(text)),
            Piece::Path => out(Run::Rendered(&request.path)),
            Piece::Query(name) => {
                if let Some((_, value)) = request.query_pairs().into_iter().find(|(k, _)| k == name)
                {
                    out(Run::Rendered(&value));
                }
            }
            Piece::Form(name) => {
                let pairs = context.form.pairs();
                if let Some((_, value)) = pairs.iter().find(|(k, _)| k == name) {
                    out(Run::Rendered(value));
                }
            }
            Piece::Header(name) => {
                let value = HeaderName::from_bytes(name.as_bytes())
                    .ok()
                    .and_then(|name| request.headers.get(name));
                if let Some(value) = value {
                    out(Run::Rendered(&String::from_utf8_lossy(value.as_bytes())));
                }
            }
            Piece::Fresh(name) => match context.fresh.value(name) {
                Ok(value) => out(Run::Rendered(&value)),
                Err(error) => eprintln!("bbh: cannot render `{{{{fresh.{name}}}}}`: {error}"),
            },
        }
    }
}

/// `text` with its templates rendered for `context` ([`render_each`]), borrowed when it has
/// none.
pub fn render<'a>(text: &'a str, context: &Context<'_>) -> Cow<'a, str> {
    if !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut rendered = String::with_capacity(text.len());
    render_each(text, context, |run| match run {
        Run::Written(text) | Run::Rendered(text) => rendered.push_str(text),
    });
    Cow::Owned(rendered)
}

/// Every string of `value` rendered for `context` (object keys stay as written).
pub fn render_json(value: &mut serde_json::Value, context: &Context<'_>) {
    match value {
        serde_json::Value::String(text) => {
            if let Cow::Owned(rendered) = render(text, context) {
                *text = rendered;
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                render_json(item, context);
            }
        }
        serde_json::Value::Object(members) => {
            for member in members.values_mut() {
                render_json(member, context);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::header::CONTENT_TYPE;
    use http::{HeaderMap, HeaderValue, Method};

    fn request() -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("x-trace", HeaderValue::from_static("t-1"));
        headers.append("x-trace", HeaderValue::from_static("t-2"));
        Request {
            method: Method::POST,
            path: "/v2/o/token/".to_owned(),
            query: Some("state=a%20b&state=second&empty=".to_owned()),
            headers,
            body: Bytes::from_static(b"grant_type=refresh_token&code=c%2B1"),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    /// The form fields of `request`, read as the server reads them.
    async fn form(request: &Request) -> Params {
        Params::from_body(&request.headers, &request.body)
            .await
            .unwrap_or_default()
    }

    fn context<'a>(request: &'a Request, form: &'a Params, fresh: &'a Fresh) -> Context<'a> {
        Context {
            request,
            form,
            fresh,
        }
    }

    #[tokio::test]
    async fn request_values_render_decoded_first_value_and_empty_when_absent() {
        let (request, fresh) = (request(), Fresh::default());
        let form = form(&request).await;
        let text = "{{request.path}}|{{ request.query.state }}|{{request.query.empty}}|\
                    {{request.query.none}}|{{request.form.code}}|{{request.header.X-Trace}}|\
                    {{request.form.none}}";
        assert_eq!(
            render(text, &context(&request, &form, &fresh)),
            "/v2/o/token/|a b|||c+1|t-1|"
        );
    }

    #[tokio::test]
    async fn form_fields_need_a_form_body() {
        let mut request = request();
        request.headers.remove(CONTENT_TYPE);
        let (form, fresh) = (form(&request).await, Fresh::default());
        assert_eq!(
            render("[{{request.form.code}}]", &context(&request, &form, &fresh)),
            "[]"
        );
    }

    #[tokio::test]
    async fn multipart_form_fields_render() {
        let mut request = request();
        request.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XX"),
        );
        request.body = Bytes::from_static(
            b"--XX\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nm 1\r\n--XX\r\n\
              Content-Disposition: form-data; name=\"code\"\r\n\r\nm 2\r\n--XX--\r\n",
        );
        let (form, fresh) = (form(&request).await, Fresh::default());
        assert_eq!(
            render("[{{request.form.code}}]", &context(&request, &form, &fresh)),
            "[m 1]"
        );
    }

    #[test]
    fn text_without_templates_is_borrowed_and_other_braces_are_literal() {
        let (request, form, fresh) = (request(), Params::default(), Fresh::default());
        let context = context(&request, &form, &fresh);
        assert!(matches!(render("plain {text}", &context), Cow::Borrowed(_)));
        for literal in [
            "{{ other }}",
            "{{requests.path}}",
            "{{request.path",
            "{{}}",
            "a }} b {{",
        ] {
            assert_eq!(render(literal, &context), literal);
        }
        assert_eq!(render("{{request.path}}}", &context), "/v2/o/token/}");
        // An invalid template that reaches a server (a stub mounted from code) stays literal.
        assert_eq!(
            render("{{request.cookie.x}}", &context),
            "{{request.cookie.x}}"
        );
    }

    #[test]
    fn runs_tell_written_text_from_rendered_text() {
        let (mut request, form, fresh) = (request(), Params::default(), Fresh::default());
        request.query = Some("q=*".to_owned());
        let mut runs = Vec::new();
        render_each(
            "a*{{request.query.q}}{{request.query.none}}{{request.nope}}",
            &context(&request, &form, &fresh),
            |run| {
                runs.push(match run {
                    Run::Written(text) => (true, text.to_owned()),
                    Run::Rendered(text) => (false, text.to_owned()),
                })
            },
        );
        assert_eq!(
            runs,
            [
                (true, "a*".to_owned()),
                (false, "*".to_owned()),
                (true, "{{request.nope}}".to_owned()),
            ]
        );
    }

    #[test]
    fn fresh_values_are_stable_per_name_and_per_scenario() {
        let (fresh, other_fresh) = (Fresh::default(), Fresh::default());
        let (request, form) = (request(), Params::default());
        let other = context(&request, &form, &other_fresh);
        let context = context(&request, &form, &fresh);
        let a = render("{{fresh.a}}", &context).into_owned();
        assert_eq!(a.len(), FRESH_LENGTH);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(render("{{ fresh.a }}", &context), a);
        assert_ne!(render("{{fresh.b}}", &context), a);
        assert_ne!(render("{{fresh.a}}", &other), a);
        assert_eq!(
            render("x{{fresh.a}}y{{fresh.a}}", &context),
            format!("x{a}y{a}")
        );
    }

    #[test]
    fn json_strings_render_and_stay_valid_json() {
        let (mut request, form, fresh) = (request(), Params::default(), Fresh::default());
        request.query = Some("q=%22quoted%22%0A".to_owned());
        let mut value = serde_json::json!({
            "{{request.path}}": ["{{request.query.q}}", 1, {"p": "{{request.path}}"}]
        });
        render_json(&mut value, &context(&request, &form, &fresh));
        assert_eq!(
            value,
            serde_json::json!({"{{request.path}}": ["\"quoted\"\n", 1, {"p": "/v2/o/token/"}]})
        );
    }
}
