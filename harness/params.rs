//! Request parameters: from the query string, and from a body in
//! `application/x-www-form-urlencoded` or `multipart/form-data` (both work on BB2: Django
//! parses both into `request.POST`). Any other body carries no parameters, as on BB2.

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;

/// Name/value pairs in the order received, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// The body could not be read as the form it claims to be.
#[derive(Debug, thiserror::Error)]
#[error("malformed multipart body: {0}")]
pub struct BodyError(#[from] multer::Error);

impl Params {
    /// Parameters of a query string (`a=1&b=2`).
    pub fn from_query(query: Option<&str>) -> Params {
        Params::from_urlencoded(query.unwrap_or_default().as_bytes())
    }

    fn from_urlencoded(bytes: &[u8]) -> Params {
        let pairs = form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { pairs }
    }

    /// Parameters of a request body, by its content type.
    pub async fn from_body(headers: &HeaderMap, body: &Bytes) -> Result<Params, BodyError> {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match media_type(content_type).as_str() {
            "application/x-www-form-urlencoded" => Ok(Params::from_urlencoded(body)),
            "multipart/form-data" => match multer::parse_boundary(content_type) {
                Ok(boundary) => Params::from_multipart(body.clone(), boundary).await,
                Err(error) => Err(BodyError(error)),
            },
            _ => Ok(Params::default()),
        }
    }

    async fn from_multipart(body: Bytes, boundary: String) -> Result<Params, BodyError> {
        let stream =
            futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut pairs = Vec::new();
        while let Some(field) = multipart.next_field().await? {
            let name = field.name().unwrap_or_default().to_owned();
            let value = field.text().await?;
            pairs.push((name, value));
        }
        Ok(Params { pairs })
    }

    /// Appends the pairs of `other` (query first, then body).
    pub fn extend(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    /// The last value of `name` (Django's `QueryDict` and oauthlib keep the last).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` unless it is empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every `(name, value)` pair, in the order received.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether `name` is present at all.
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// The first of `names` that appears more than once.
    pub fn first_duplicate<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names
            .iter()
            .copied()
            .find(|name| self.pairs.iter().filter(|(k, _)| k == name).count() > 1)
    }
}

/// The media type of a `Content-Type` value, lower-cased, without parameters
/// (`application/x-www-form-urlencoded`).
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, value);
        }
        headers
    }

    #[tokio::test]
    async fn urlencoded_body() -> Result<(), BodyError> {
        let params = Params::from_body(
            &headers("application/x-www-form-urlencoded"),
            &Bytes::from("a=1&b=x+y&a=2"),
        )
        .await?;
        assert_eq!(params.get("a"), Some("2"));
        assert_eq!(params.get("b"), Some("x y"));
        assert_eq!(params.first_duplicate(&["b", "a"]), Some("a"));
        Ok(())
    }

    #[tokio::test]
    async fn multipart_body() -> Result<(), BodyError> {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nauthorization_code\r\n--XX\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nabc\r\n--XX--\r\n";
        let params = Params::from_body(
            &headers("multipart/form-data; boundary=XX"),
            &Bytes::from(body),
        )
        .await?;
        assert_eq!(params.get("grant_type"), Some("authorization_code"));
        assert_eq!(params.get("code"), Some("abc"));
        Ok(())
    }

    #[tokio::test]
    async fn other_bodies_carry_nothing() -> Result<(), BodyError> {
        let params = Params::from_body(
            &headers("application/json"),
            &Bytes::from("{\"code\":\"x\"}"),
        )
        .await?;
        assert_eq!(params, Params::default());
        Ok(())
    }

    #[tokio::test]
    async fn truncated_multipart_is_an_error() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nab";
        let result = Params::from_body(
            &headers("multipart/form-data; boundary=XX"),
            &Bytes::from(body),
        )
        .await;
        assert!(result.is_err());
    }
}
