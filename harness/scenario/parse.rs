//! From YAML text to a validated [`Scenario`]: every key checked, every error reported with
//! its position, the file merged over the built-in defaults (lists replace, maps merge).

use crate::clock::parse_instant;
use crate::sandbox;
use crate::scenario::apps::apps;
use crate::scenario::beneficiaries::beneficiaries;
use crate::scenario::defaults;
use crate::scenario::error::ScenarioError;
use crate::scenario::expect::expect;
use crate::scenario::model::{
    BeneficiarySpec, Environment, Expect, Login, Probe, Profile, RateLimit, Scenario, Source,
    Tokens,
};
use crate::scenario::reader::{Field, Reader, integer, then};
use crate::scenario::states;
use crate::scenario::stubs::stubs;
use crate::scenario::yaml;
use marked_yaml::{Node, Span};

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "profile",
    "environment",
    "seed",
    "now",
    "apps",
    "beneficiaries",
    "login",
    "tokens",
    "expect",
    "stubs",
    "strict",
    "states",
    "rate_limit",
];
const LOGIN_KEYS: &[&str] = &["username", "share_demographics", "approve", "probe"];
const TOKEN_KEYS: &[&str] = &["access_ttl", "code_ttl", "expire_after_calls"];

/// Parses and validates a scenario file: the scenario, or every error of the file.
pub fn parse(text: &str, source: Source) -> Result<Scenario, Vec<ScenarioError>> {
    let origin = source.to_string();
    let root = yaml::load(text, &origin).map_err(|error| vec![error])?;
    let mut r = Reader::new(origin);
    let scenario = scenario(&mut r, &root, source);
    r.finish(scenario)
}

fn scenario(r: &mut Reader, root: &Node, source: Source) -> Option<Scenario> {
    let top = r.mapping(root, "", TOP_KEYS)?;
    if top.is_empty() {
        let message = "empty scenario: expected at least `version: 1` and a `name`";
        r.error(&Span::new_blank(), "", message);
        return None;
    }
    let version = r.required(top, "", "version", integer(1..=1));
    let name = r.required(top, "", "name", then(Reader::string, kebab_case));
    let description = r.optional(top, "", "description", Reader::string);
    let profile = r.optional(top, "", "profile", then(Reader::string, profile));
    let environment = r
        .optional(top, "", "environment", then(Reader::string, environment))
        .or(Environment::default());
    let seed = r.optional(top, "", "seed", integer(0..=u64::MAX));
    let now = r.optional(
        top,
        "",
        "now",
        then(Reader::string, |text| parse_instant(&text)),
    );
    let apps = r.optional(top, "", "apps", |r, node, key| {
        apps(r, node, key, environment)
    });
    let beneficiaries = r
        .optional(top, "", "beneficiaries", beneficiaries)
        .or(defaults::beneficiaries());
    let login = r.optional(top, "", "login", |r, node, key| {
        login(r, node, key, beneficiaries.as_deref())
    });
    let login = login.or_else(|| {
        check_login(r, &Field::Absent, beneficiaries.as_deref());
        Some(defaults::login())
    });
    let tokens = r.optional(top, "", "tokens", tokens);
    let expect = r.optional(top, "", "expect", |r, node, key| {
        expect(r, node, key, &source)
    });
    let stubs = r.optional(top, "", "stubs", |r, node, key| {
        stubs(r, node, key, &source)
    });
    let strict = r.optional(top, "", "strict", Reader::boolean);
    let machines = r.optional(top, "", "states", states::states);
    let declared = match &machines {
        Field::Given(machines) => Some(machines.value.as_slice()),
        Field::Absent => Some(&[][..]),
        Field::Invalid => None,
    };
    if let (Field::Given(stubs), Some(declared), Some(node)) =
        (&stubs, declared, top.get_node("stubs"))
    {
        states::check_references(r, node, &stubs.value, declared);
    }
    let rate_limit = r.optional(
        top,
        "",
        "rate_limit",
        then(Reader::string, |text| RateLimit::parse(&text)),
    );
    Some(Scenario {
        version: version?.value,
        name: name?.value,
        description: description.or(String::new())?,
        profile: profile.or(Profile::default())?,
        environment: environment?,
        seed: seed.or(0)?,
        now: now.map(Some).or(None)?,
        apps: apps.or(defaults::apps())?,
        beneficiaries: beneficiaries?,
        login: login?,
        tokens: tokens.or(defaults::tokens())?,
        expect: expect.or(Expect::default())?,
        stubs: stubs.or(Vec::new())?,
        strict: strict.or(false)?,
        states: machines.or(Vec::new())?,
        rate_limit: rate_limit.map(Some).or(None)?,
        source,
    })
}

/// Whether `name` is lower-case words of letters and digits joined by single hyphens.
pub(super) fn is_kebab_case(name: &str) -> bool {
    let is_word = |word: &str| {
        !word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    name.split('-').all(is_word)
}

fn kebab_case(name: String) -> Result<String, String> {
    if is_kebab_case(&name) {
        Ok(name)
    } else {
        Err(format!(
            "expected a kebab-case name such as `my-scenario`, found `{name}`"
        ))
    }
}

fn environment(name: String) -> Result<Environment, String> {
    Environment::from_name(&name)
        .ok_or_else(|| format!("unknown environment `{name}`; expected `sandbox` or `production`"))
}

fn profile(name: String) -> Result<Profile, String> {
    Profile::from_name(&name)
        .ok_or_else(|| format!("unknown profile `{name}`; expected `documented` or `current`"))
}

/// The login merged over the default; its username must exist among `beneficiaries`.
fn login(
    r: &mut Reader,
    node: &Node,
    key: &str,
    beneficiaries: Option<&[BeneficiarySpec]>,
) -> Option<Login> {
    let map = r.mapping(node, key, LOGIN_KEYS)?;
    let default = defaults::login();
    let username = r.optional(map, key, "username", Reader::string);
    let share_demographics = r.optional(map, key, "share_demographics", Reader::boolean);
    let approve = r.optional(map, key, "approve", Reader::boolean);
    let probe = r.optional(map, key, "probe", then(Reader::string, probe));
    check_login(r, &username, beneficiaries);
    Some(Login {
        username: username.or(default.username)?,
        share_demographics: share_demographics.or(default.share_demographics)?,
        approve: approve.or(default.approve)?,
        probe: probe.map(Some).or(default.probe)?,
    })
}

fn probe(name: String) -> Result<Probe, String> {
    match name.as_str() {
        "tampered-state" => Ok(Probe::TamperedState),
        "replay-callback" => Ok(Probe::ReplayCallback),
        _ => Err(format!(
            "unknown probe `{name}`; expected `tampered-state` or `replay-callback`"
        )),
    }
}

/// The token lifetimes merged over the defaults.
fn tokens(r: &mut Reader, node: &Node, key: &str) -> Option<Tokens> {
    let map = r.mapping(node, key, TOKEN_KEYS)?;
    let default = defaults::tokens();
    let access_ttl = r.optional(map, key, "access_ttl", integer(1..=31_536_000));
    let code_ttl = r.optional(map, key, "code_ttl", integer(1..=86_400));
    let expire_after_calls = r.optional(map, key, "expire_after_calls", integer(1..=u64::MAX));
    Some(Tokens {
        access_ttl: access_ttl.map(Some).or(default.access_ttl)?,
        code_ttl: code_ttl.or(default.code_ttl)?,
        expire_after_calls: expire_after_calls
            .map(Some)
            .or(default.expire_after_calls)?,
    })
}

/// The login must name someone who exists in this scenario: one of its beneficiaries, or a
/// sandbox login whose generated patient id none of them has taken. An absent `username` is
/// the default, reported at the top of the file when it dangles; an invalid one, or
/// beneficiaries that are not valid, cannot be checked.
fn check_login(
    r: &mut Reader,
    username: &Field<String>,
    beneficiaries: Option<&[BeneficiarySpec]>,
) {
    let default = defaults::login().username;
    let (username, given) = match username {
        Field::Absent => (default.as_str(), None),
        Field::Invalid => return,
        Field::Given(given) => (given.value.as_str(), Some(given)),
    };
    let Some(beneficiaries) = beneficiaries else {
        return;
    };
    if beneficiaries.iter().any(|b| b.username == username) {
        return;
    }
    let who = match given {
        Some(_) => format!("`{username}`"),
        None => format!("the default login `{username}`"),
    };
    let why = match sandbox::patient_id_for_login(username) {
        None => {
            "is neither a beneficiary of this scenario nor a sandbox login (BBUserNNNNN)".to_owned()
        }
        Some(id) => match beneficiaries.iter().find(|b| b.patient_id == id) {
            None => return,
            Some(owner) => format!(
                "does not exist in this scenario: its sandbox patient id {id} is beneficiary `{}`'s",
                owner.username
            ),
        },
    };
    let usernames: Vec<&str> = beneficiaries.iter().map(|b| b.username.as_str()).collect();
    let hint = if usernames.is_empty() {
        String::new()
    } else {
        format!("; expected e.g. one of: {}", usernames.join(", "))
    };
    let span = given.map_or_else(Span::new_blank, |given| given.span);
    r.error(&span, "login.username", format!("{who} {why}{hint}"));
}
