//! `{{...}}` templates in stub values: request echoes and fresh values bound per server run.

use crate::exchange::Request;
use std::borrow::Cow;

/// Values generated once per server run for `{{fresh.NAME}}`, stable per name.
#[derive(Debug, Default)]
pub struct Fresh {}

/// `text` with its templates rendered for `request`.
pub fn render<'a>(text: &'a str, _request: &Request, _fresh: &Fresh) -> Cow<'a, str> {
    Cow::Borrowed(text)
}
