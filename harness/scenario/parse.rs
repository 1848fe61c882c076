//! From YAML text to a validated [`Scenario`]: every key checked, every error reported with
//! its position, the file merged over the built-in defaults (lists replace, maps merge).

use crate::claim_type::{ClaimCounts, ClaimType};
use crate::sandbox;
use crate::scenario::defaults;
use crate::scenario::error::ScenarioError;
use crate::scenario::model::{
    App, BeneficiarySpec, ClientType, GrantType, Login, Profile, Scenario, Source, Tokens,
};
use crate::scenario::yaml::{self, Reader, join};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{Node, Span};

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "profile",
    "seed",
    "apps",
    "beneficiaries",
    "login",
    "tokens",
];
const APP_KEYS: &[&str] = &[
    "name",
    "client_id",
    "client_secret",
    "client_type",
    "grant_types",
    "redirect_uris",
    "scopes",
    "require_demographic_scopes",
];
const BENEFICIARY_KEYS: &[&str] = &["username", "password", "patient_id", "name", "claims"];
const LOGIN_KEYS: &[&str] = &["username", "share_demographics", "approve"];
const TOKEN_KEYS: &[&str] = &["access_ttl", "code_ttl"];
/// Claim types the generator makes realistic claims of so far.
const GENERATED_TYPES: [ClaimType; 3] = [ClaimType::Carrier, ClaimType::Inpatient, ClaimType::Pde];
const MAX_CLAIMS_PER_TYPE: u64 = 1_000_000;

/// Parses and validates a scenario file; all its errors, or the scenario.
pub fn parse(text: &str, source: Source) -> Result<Scenario, Vec<ScenarioError>> {
    let origin = source.to_string();
    let root = match yaml::load(text) {
        Ok(root) => root,
        Err(error) => return Err(vec![yaml::load_error(&origin, &error)]),
    };
    let mut r = Reader::new(origin);
    let Some(top) = r.mapping(&root, "", TOP_KEYS) else {
        return Err(r.errors);
    };
    let version = r.required(top, "", "version").and_then(|node| {
        let version = r.integer(node, "version", 0..=u64::MAX)?;
        if version != 1 {
            r.error(
                node.span(),
                "version",
                format!("unsupported version {version}; expected 1"),
            );
        }
        u32::try_from(version).ok()
    });
    let name = r
        .required_valid(
            top,
            "",
            "name",
            Reader::string,
            is_kebab_case,
            "expected a kebab-case name such as `my-scenario`",
        )
        .map(|(name, _)| name);
    let description = top
        .get("description")
        .map_or(Some(String::new()), |node| r.string(node, "description"));
    let profile = top.get("profile").map_or(Some(Profile::default()), |node| {
        let text = r.string(node, "profile")?;
        let profile = Profile::from_name(&text);
        if profile.is_none() {
            r.error(
                node.span(),
                "profile",
                format!("unknown profile `{text}`; expected `documented` or `current`"),
            );
        }
        profile
    });
    let seed = top
        .get("seed")
        .map_or(Some(0), |node| r.integer(node, "seed", 0..=u64::MAX));
    let apps = match top.get("apps") {
        Some(node) => apps(&mut r, node),
        None => Some(defaults::apps()),
    };
    let beneficiaries = match top.get("beneficiaries") {
        Some(node) => beneficiaries(&mut r, node),
        None => Some(
            defaults::beneficiaries()
                .into_iter()
                .map(|b| (b, None))
                .collect(),
        ),
    };
    let login = login(&mut r, top.get("login"));
    let tokens = tokens(&mut r, top.get("tokens"));
    if let (Some(beneficiaries), Some((login, login_span))) = (&beneficiaries, &login) {
        check_login(&mut r, login, login_span.as_ref(), beneficiaries);
    }
    let scenario = (|| {
        Some(Scenario {
            version: version?,
            name: name?,
            description: description?,
            profile: profile?,
            seed: seed?,
            apps: apps?,
            beneficiaries: beneficiaries?.into_iter().map(|(b, _)| b).collect(),
            login: login?.0,
            tokens: tokens?,
            source,
        })
    })();
    match scenario {
        Some(scenario) if r.errors.is_empty() => Ok(scenario),
        _ => Err(r.errors),
    }
}

fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn apps(r: &mut Reader, node: &Node) -> Option<Vec<App>> {
    let list = r.list(node, "apps")?;
    if list.is_empty() {
        r.error(node.span(), "apps", "expected at least one app");
        return None;
    }
    let parsed: Vec<Option<(App, Span)>> = list
        .iter()
        .enumerate()
        .map(|(i, item)| app(r, item, &format!("apps[{i}]")))
        .collect();
    let parsed: Vec<(App, Span)> = parsed.into_iter().collect::<Option<_>>()?;
    for (i, (app, span)) in parsed.iter().enumerate() {
        if parsed[..i]
            .iter()
            .any(|(earlier, _)| earlier.client_id == app.client_id)
        {
            r.error(
                span,
                &format!("apps[{i}].client_id"),
                format!("duplicate client_id `{}`", app.client_id),
            );
        }
    }
    Some(parsed.into_iter().map(|(app, _)| app).collect())
}

fn app(r: &mut Reader, node: &Node, key: &str) -> Option<(App, Span)> {
    let map = r.mapping(node, key, APP_KEYS)?;
    let name = r
        .required(map, key, "name")
        .and_then(|n| r.string(n, &join(key, "name")));
    let client_id = r.required_valid(
        map,
        key,
        "client_id",
        Reader::string,
        |id| id.len() == 40 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "expected exactly 40 letters and digits (BB2's client_id format)",
    );
    let client_type = r.required(map, key, "client_type").and_then(|n| {
        match r.string(n, &join(key, "client_type"))?.as_str() {
            "confidential" => Some(ClientType::Confidential),
            "public" => Some(ClientType::Public),
            other => {
                r.error(
                    n.span(),
                    &join(key, "client_type"),
                    format!("unknown client type `{other}`; expected `confidential` or `public`"),
                );
                None
            }
        }
    });
    let secret_key = join(key, "client_secret");
    let client_secret = match (map.get("client_secret"), client_type) {
        (Some(n), Some(ClientType::Public)) => {
            r.error(n.span(), &secret_key, "a public app has no client_secret");
            None
        }
        (Some(n), _) => match r.string(n, &secret_key) {
            Some(secret) if secret.is_empty() => {
                r.error(n.span(), &secret_key, "expected a non-empty secret");
                None
            }
            secret => secret.map(Some),
        },
        (None, Some(ClientType::Confidential)) => {
            r.error(
                map.span(),
                key,
                "missing required key `client_secret` (a confidential app has a secret)",
            );
            None
        }
        (None, _) => Some(None),
    };
    let grant_types = grant_types(r, map, key, client_type);
    let redirect_uris = r.required(map, key, "redirect_uris").and_then(|n| {
        let key = join(key, "redirect_uris");
        let uris = r.strings(n, &key)?;
        if uris.is_empty() {
            r.error(n.span(), &key, "expected at least one redirect URI");
        }
        for (i, (uri, span)) in uris.iter().enumerate() {
            if let Err(problem) = check_redirect_uri(uri) {
                r.error(
                    span,
                    &format!("{key}[{i}]"),
                    format!("redirect URI `{uri}` {problem}"),
                );
            }
        }
        Some(uris.into_iter().map(|(uri, _)| uri).collect::<Vec<_>>())
    });
    let scopes = match map.get("scopes") {
        Some(n) => {
            let key = join(key, "scopes");
            r.strings(n, &key).map(|scopes| {
                for (i, (scope, span)) in scopes.iter().enumerate() {
                    if !defaults::SUPPORTED_SCOPES.contains(&scope.as_str()) {
                        let message = format!(
                            "unsupported scope `{scope}`; expected one of: {}",
                            defaults::SUPPORTED_SCOPES.join(", ")
                        );
                        r.error(span, &format!("{key}[{i}]"), message);
                    } else if scopes[..i].iter().any(|(s, _)| s == scope) {
                        r.error(
                            span,
                            &format!("{key}[{i}]"),
                            format!("duplicate scope `{scope}`"),
                        );
                    }
                }
                scopes
                    .into_iter()
                    .map(|(scope, _)| scope)
                    .collect::<Vec<_>>()
            })
        }
        None => Some(
            defaults::SUPPORTED_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        ),
    };
    let require_demographic_scopes = map
        .get("require_demographic_scopes")
        .map_or(Some(true), |n| {
            r.boolean(n, &join(key, "require_demographic_scopes"))
        });
    let (client_id, id_span) = client_id?;
    let app = App {
        name: name?,
        client_id,
        client_secret: client_secret?,
        client_type: client_type?,
        grant_types: grant_types?,
        redirect_uris: redirect_uris?,
        scopes: scopes?,
        require_demographic_scopes: require_demographic_scopes?,
    };
    Some((app, id_span))
}

fn grant_types(
    r: &mut Reader,
    map: &MarkedMappingNode,
    key: &str,
    client_type: Option<ClientType>,
) -> Option<Vec<GrantType>> {
    let Some(n) = map.get("grant_types") else {
        return Some(vec![GrantType::AuthorizationCode]);
    };
    let key = join(key, "grant_types");
    let names = r.strings(n, &key)?;
    if names.is_empty() {
        r.error(n.span(), &key, "expected at least one grant type");
    }
    let mut grants = Vec::new();
    for (i, (name, span)) in names.iter().enumerate() {
        let item = format!("{key}[{i}]");
        let grant = match name.as_str() {
            "authorization-code" => GrantType::AuthorizationCode,
            "implicit" => GrantType::Implicit,
            other => {
                r.error(
                    span,
                    &item,
                    format!(
                        "unknown grant type `{other}`; expected `authorization-code` or `implicit`"
                    ),
                );
                continue;
            }
        };
        if grants.contains(&grant) {
            r.error(span, &item, format!("duplicate grant type `{name}`"));
        } else if grant == GrantType::Implicit && client_type == Some(ClientType::Confidential) {
            r.error(span, &item, "the implicit grant is for public apps only");
        }
        grants.push(grant);
    }
    Some(grants)
}

/// An absolute URI with a scheme, no whitespace and no fragment; http(s) ones with a host.
fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    if uri.contains('#') {
        return Err("has a fragment (`#`), which OAuth forbids");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("is not absolute: expected a URI such as http://127.0.0.1/callback");
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err("has no valid scheme: expected a URI such as http://127.0.0.1/callback");
    }
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        let host = rest
            .strip_prefix("//")
            .map(|after| after.split(['/', '?']).next().unwrap_or_default());
        if host.is_none_or(str::is_empty) {
            return Err("has no host: expected e.g. http://127.0.0.1/callback");
        }
    } else if rest.is_empty() {
        return Err("has nothing after its scheme");
    }
    Ok(())
}

/// Beneficiaries with the span of their `username` (for later cross checks).
type Beneficiaries = Vec<(BeneficiarySpec, Option<Span>)>;

fn beneficiaries(r: &mut Reader, node: &Node) -> Option<Beneficiaries> {
    let list = r.list(node, "beneficiaries")?;
    let parsed: Vec<Option<(BeneficiarySpec, Span, Span)>> = list
        .iter()
        .enumerate()
        .map(|(i, item)| beneficiary(r, item, &format!("beneficiaries[{i}]")))
        .collect();
    let parsed: Vec<(BeneficiarySpec, Span, Span)> = parsed.into_iter().collect::<Option<_>>()?;
    for (i, (bene, username_span, id_span)) in parsed.iter().enumerate() {
        let earlier = &parsed[..i];
        if earlier.iter().any(|(b, _, _)| b.username == bene.username) {
            r.error(
                username_span,
                &format!("beneficiaries[{i}].username"),
                format!("duplicate username `{}`", bene.username),
            );
        }
        if earlier
            .iter()
            .any(|(b, _, _)| b.patient_id == bene.patient_id)
        {
            r.error(
                id_span,
                &format!("beneficiaries[{i}].patient_id"),
                format!("duplicate patient_id `{}`", bene.patient_id),
            );
        }
    }
    Some(
        parsed
            .into_iter()
            .map(|(bene, username_span, _)| (bene, Some(username_span)))
            .collect(),
    )
}

fn beneficiary(r: &mut Reader, node: &Node, key: &str) -> Option<(BeneficiarySpec, Span, Span)> {
    let map = r.mapping(node, key, BENEFICIARY_KEYS)?;
    let username = r.required_valid(
        map,
        key,
        "username",
        Reader::string,
        |name| !name.is_empty() && !name.chars().any(char::is_whitespace),
        "expected a login name without spaces",
    );
    let patient_id = r.required_valid(
        map,
        key,
        "patient_id",
        Reader::id_text,
        |id| {
            let digits = id.strip_prefix('-').unwrap_or(id);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        },
        "expected a BFD patient id: digits with an optional leading `-`",
    );
    let password = match (map.get("password"), &username) {
        (Some(n), _) => r.string(n, &join(key, "password")),
        (None, Some((username, _))) => {
            let default = sandbox::password_for_login(username);
            if default.is_none() {
                r.error(map.span(), key, "missing required key `password` (only sandbox logins BBUserNNNNN have a default)");
            }
            default
        }
        (None, None) => None,
    };
    let name = match map.get("name") {
        Some(n) => r.string(n, &join(key, "name")).and_then(|name| {
            if name.split_whitespace().count() < 2 {
                r.error(
                    n.span(),
                    &join(key, "name"),
                    "expected given and family names, e.g. `Jane X Doe`",
                );
                return None;
            }
            Some(Some(name))
        }),
        None => Some(None),
    };
    let claims = match map.get("claims") {
        Some(n) => claims(r, n, &join(key, "claims")).map(Some),
        None => Some(None),
    };
    let ((username, username_span), (patient_id, id_span)) = (username?, patient_id?);
    let spec = BeneficiarySpec {
        username,
        password: password?,
        patient_id,
        name: name?,
        claims: claims?,
    };
    Some((spec, username_span, id_span))
}

fn claims(r: &mut Reader, node: &Node, key: &str) -> Option<ClaimCounts> {
    let Some(map) = node.as_mapping() else {
        r.mapping(node, key, &[]);
        return None;
    };
    let mut pairs = Vec::new();
    let mut valid = true;
    for (code, value) in map.iter() {
        let item = join(key, code.as_str());
        match ClaimType::from_code(code.as_str()) {
            Some(claim_type) if GENERATED_TYPES.contains(&claim_type) => {
                match r.integer(value, &item, 0..=MAX_CLAIMS_PER_TYPE) {
                    Some(count) => {
                        pairs.push((claim_type, u32::try_from(count).unwrap_or(u32::MAX)))
                    }
                    None => valid = false,
                }
            }
            Some(claim_type) => {
                valid = false;
                let message = format!(
                    "claims of type `{claim_type}` are not generated yet (supported here: carrier, inpatient, pde)"
                );
                r.error(code.span(), &item, message);
            }
            None => {
                valid = false;
                let codes: Vec<&str> = ClaimType::ALL.iter().map(|t| t.code()).collect();
                let message = format!(
                    "unknown claim type `{}`; expected one of: {}",
                    code.as_str(),
                    codes.join(", ")
                );
                r.error(code.span(), &item, message);
            }
        }
    }
    valid.then(|| ClaimCounts::from_pairs(pairs))
}

/// The merged login and the span of a `login.username` the file gave.
fn login(r: &mut Reader, node: Option<&Node>) -> Option<(Login, Option<Span>)> {
    let mut login = defaults::login();
    let Some(node) = node else {
        return Some((login, None));
    };
    let map = r.mapping(node, "login", LOGIN_KEYS)?;
    let mut ok = true;
    let mut username_span = None;
    if let Some(n) = map.get("username") {
        username_span = Some(*n.span());
        match r.string(n, "login.username") {
            Some(username) => login.username = username,
            None => ok = false,
        }
    }
    for (name, field) in [
        ("share_demographics", &mut login.share_demographics),
        ("approve", &mut login.approve),
    ] {
        if let Some(n) = map.get(name) {
            match r.boolean(n, &join("login", name)) {
                Some(value) => *field = value,
                None => ok = false,
            }
        }
    }
    ok.then_some((login, username_span))
}

fn tokens(r: &mut Reader, node: Option<&Node>) -> Option<Tokens> {
    let mut tokens = defaults::tokens();
    let Some(node) = node else {
        return Some(tokens);
    };
    let map = r.mapping(node, "tokens", TOKEN_KEYS)?;
    let access_ttl = map
        .get("access_ttl")
        .map(|n| r.integer(n, "tokens.access_ttl", 1..=31_536_000));
    let code_ttl = map
        .get("code_ttl")
        .map(|n| r.integer(n, "tokens.code_ttl", 1..=86_400));
    if let Some(value) = access_ttl {
        tokens.access_ttl = Some(value?);
    }
    if let Some(value) = code_ttl {
        tokens.code_ttl = value?;
    }
    Some(tokens)
}

/// The login must name someone who exists in this scenario.
fn check_login(r: &mut Reader, login: &Login, span: Option<&Span>, beneficiaries: &Beneficiaries) {
    let username = login.username.as_str();
    if beneficiaries.iter().any(|(b, _)| b.username == username) {
        return;
    }
    let generated_exists = sandbox::patient_id_for_login(username)
        .is_some_and(|id| !beneficiaries.iter().any(|(b, _)| b.patient_id == id));
    if !generated_exists {
        let message = format!(
            "login.username `{username}` is neither a beneficiary of this scenario nor a sandbox login (BBUserNNNNN) that exists in it"
        );
        let blank = Span::new_blank();
        r.error(span.unwrap_or(&blank), "login.username", message);
    }
}
