//! The syntax of `{{...}}` templates in stub values: which pieces a text is made of, and
//! whether its templates are valid ([`validate`], run when a scenario is parsed). Rendering
//! them for a request is the server's (`server::template`).
//!
//! `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}`,
//! `{{request.header.NAME}}` and `{{fresh.NAME}}` are templates; spaces inside the braces are
//! ignored. Any other `{{...}}` text is literal, except `{{request.X}}` with an unknown X and
//! an empty NAME, which are invalid.

/// What [`validate`] says a template may be.
const EXPECTED: &str = "expected `{{request.path}}`, `{{request.query.NAME}}`, \
                        `{{request.form.NAME}}`, `{{request.header.NAME}}` or `{{fresh.NAME}}`";

/// One piece of a text with templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text (including `{{...}}` that is not a template).
    Text(&'a str),
    /// `{{request.path}}`.
    Path,
    /// `{{request.query.NAME}}`.
    Query(&'a str),
    /// `{{request.form.NAME}}`.
    Form(&'a str),
    /// `{{request.header.NAME}}`.
    Header(&'a str),
    /// `{{fresh.NAME}}`.
    Fresh(&'a str),
    /// `{{request...}}` that names nothing known, or an empty NAME: the whole `{{...}}`.
    Invalid(&'a str),
}

/// The pieces of `text`, in order: its literal runs and the `{{...}}` between them.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(length) = rest[open + 2..].find("}}") else {
            break;
        };
        let close = open + 2 + length + 2;
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let whole = &rest[open..close];
        pieces.push(classify(whole, rest[open + 2..close - 2].trim()));
        rest = &rest[close..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// What `{{inner}}` (written as `whole`) means.
fn classify<'a>(whole: &'a str, inner: &'a str) -> Piece<'a> {
    let named = |name: &'a str, piece: fn(&'a str) -> Piece<'a>| {
        if name.is_empty() {
            Piece::Invalid(whole)
        } else {
            piece(name)
        }
    };
    if let Some(name) = inner.strip_prefix("fresh.") {
        return named(name, Piece::Fresh);
    }
    let Some(field) = inner
        .strip_prefix("request")
        .filter(|rest| rest.is_empty() || rest.starts_with('.'))
    else {
        return Piece::Text(whole);
    };
    let field = field.strip_prefix('.').unwrap_or(field);
    if field == "path" {
        Piece::Path
    } else if let Some(name) = field.strip_prefix("query.") {
        named(name, Piece::Query)
    } else if let Some(name) = field.strip_prefix("form.") {
        named(name, Piece::Form)
    } else if let Some(name) = field.strip_prefix("header.") {
        named(name, Piece::Header)
    } else {
        Piece::Invalid(whole)
    }
}

/// Whether `text` is valid where templates are rendered (`then` values and `when` value
/// patterns): every `{{request...}}` names a known field and every NAME is given; the message
/// names the first that does not.
pub fn validate(text: &str) -> Result<(), String> {
    match pieces(text).into_iter().find_map(|piece| match piece {
        Piece::Invalid(whole) => Some(whole),
        _ => None,
    }) {
        None => Ok(()),
        Some(whole) => Err(format!("unknown template `{whole}`; {EXPECTED}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_split_into_literal_text_and_templates() {
        assert_eq!(
            pieces("a{{request.path}}b{{ request.query.q }}{{request.form.f}}{{request.header.H}}"),
            [
                Piece::Text("a"),
                Piece::Path,
                Piece::Text("b"),
                Piece::Query("q"),
                Piece::Form("f"),
                Piece::Header("H"),
            ]
        );
        assert_eq!(
            pieces("{{fresh.t}}{{other}}{{request.x}} {{open"),
            [
                Piece::Fresh("t"),
                Piece::Text("{{other}}"),
                Piece::Invalid("{{request.x}}"),
                Piece::Text(" {{open"),
            ]
        );
        assert_eq!(pieces(""), []);
    }

    #[test]
    fn other_braces_are_literal_and_valid() {
        for literal in [
            "plain {text}",
            "{{ other }}",
            "{{requests.path}}",
            "{{request.path",
            "{{}}",
            "a }} b {{",
        ] {
            assert_eq!(validate(literal), Ok(()), "{literal}");
        }
    }

    #[test]
    fn unknown_request_fields_and_empty_names_are_refused() {
        for text in [
            "{{request.cookie.x}}",
            "a {{request}} b",
            "{{request.query.}}",
            "{{fresh.}}",
            "{{request.header}}",
        ] {
            let message = validate(text).err().unwrap_or_default();
            assert!(
                message.starts_with("unknown template `{{"),
                "{text}: {message}"
            );
            assert!(message.contains("{{fresh.NAME}}"), "{message}");
        }
        assert_eq!(
            validate("{{request.path}} {{request.query.a}} {{fresh.b}}"),
            Ok(())
        );
    }
}
