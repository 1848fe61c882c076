//! Scenario parsing: defaults, merging, and every validation rule with its position.

use super::*;
use crate::claim_type::ClaimType;

fn parse_text(text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse(text, Source::Builtin("test"))
}

/// The `(line, column, key)` of each error of `text`, failing if it parses.
fn errors(text: &str) -> Vec<(usize, usize, String, String)> {
    match parse_text(text) {
        Ok(scenario) => panic!("expected errors, parsed {scenario:?}"),
        Err(errors) => errors
            .into_iter()
            .map(|e| (e.line, e.column, e.key, e.message))
            .collect(),
    }
}

fn has_error(
    errors: &[(usize, usize, String, String)],
    line: usize,
    key: &str,
    message_part: &str,
) -> bool {
    errors
        .iter()
        .any(|(l, _, k, m)| *l == line && k == key && m.contains(message_part))
}

#[test]
fn minimal_file_takes_every_default() {
    let scenario = parse_text("version: 1\nname: minimal\n").unwrap();
    assert_eq!(scenario.apps, defaults::apps());
    assert_eq!(scenario.beneficiaries, defaults::beneficiaries());
    assert_eq!(scenario.login, defaults::login());
    assert_eq!(scenario.tokens, defaults::tokens());
    assert_eq!(scenario.profile, Profile::Documented);
    assert_eq!(scenario.seed, 0);
    assert_eq!(scenario.apps[0].client_id, defaults::CONFIDENTIAL_CLIENT_ID);
    assert_eq!(
        scenario.beneficiaries[1].claims.map(|c| c.total()),
        Some(148)
    );
}

#[test]
fn lists_replace_and_maps_merge() {
    let text = "\
version: 1
name: merged
apps:
  - name: only app
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: public
    redirect_uris: [http://127.0.0.1/callback]
beneficiaries:
  - username: BBUser00007
    patient_id: -19990000000008
login:
  approve: false
tokens:
  code_ttl: 5
";
    let scenario = parse_text(text).unwrap();
    assert_eq!(scenario.apps.len(), 1);
    assert_eq!(
        scenario.apps[0].grant_types,
        vec![GrantType::AuthorizationCode]
    );
    assert_eq!(
        scenario.apps[0].scopes.len(),
        defaults::SUPPORTED_SCOPES.len()
    );
    assert_eq!(scenario.beneficiaries.len(), 1);
    assert_eq!(scenario.beneficiaries[0].password, "PW00007!");
    assert_eq!(scenario.beneficiaries[0].patient_id, "-19990000000008");
    // login merges: only `approve` changed; the default username still resolves as a
    // generated sandbox login (BBUser29999) because no scenario beneficiary took its id.
    assert_eq!(
        scenario.login,
        Login {
            approve: false,
            ..defaults::login()
        }
    );
    assert_eq!(
        scenario.tokens,
        Tokens {
            code_ttl: 5,
            access_ttl: None
        }
    );
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = "\
version: 2
name: Not Kebab
colour: blue
profile: newest
seed: -1
tokens:
  code_ttl: \"60\"
  refresh_ttl: 10
login:
  approve: maybe
";
    let found = errors(text);
    assert!(
        has_error(&found, 1, "version", "unsupported version 2"),
        "{found:#?}"
    );
    assert!(has_error(&found, 2, "name", "kebab-case"), "{found:#?}");
    assert!(
        has_error(&found, 3, "colour", "unknown key `colour`"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 4, "profile", "unknown profile `newest`"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 5, "seed", "expected an integer"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 7, "tokens.code_ttl", "found a string"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 8, "tokens.refresh_ttl", "unknown key"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 10, "login.approve", "expected true or false"),
        "{found:#?}"
    );
    assert_eq!(found.len(), 8, "{found:#?}");
    let colour = found.iter().find(|(_, _, k, _)| k == "colour").unwrap();
    assert_eq!(colour.1, 1, "column of the key");
}

#[test]
fn missing_required_keys() {
    let found = errors("description: nothing else\n");
    assert!(has_error(&found, 1, "", "missing required key `version`"));
    assert!(has_error(&found, 1, "", "missing required key `name`"));
}

#[test]
fn app_rules() {
    let text = "\
version: 1
name: apps
apps:
  - name: a
    client_id: short
    client_type: confidential
    redirect_uris: [\"http://x/cb#frag\", \"no-scheme\", \"http:///nohost\"]
    scopes: [profile, patient/AuditEvent.rs]
  - name: b
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: confidential
    client_secret: s
    grant_types: [implicit, password]
    redirect_uris: []
  - name: c
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: public
    client_secret: s
    redirect_uris: [gov.cms.app:/cb]
";
    let found = errors(text);
    assert!(
        has_error(&found, 5, "apps[0].client_id", "40 letters"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 4, "apps[0]", "missing required key `client_secret`"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 7, "apps[0].redirect_uris[0]", "fragment"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 7, "apps[0].redirect_uris[1]", "not absolute"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 7, "apps[0].redirect_uris[2]", "no host"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 8, "apps[0].scopes[1]", "unsupported scope"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 13, "apps[1].grant_types[0]", "public apps only"),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            13,
            "apps[1].grant_types[1]",
            "unknown grant type `password`"
        ),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 14, "apps[1].redirect_uris", "at least one"),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            18,
            "apps[2].client_secret",
            "public app has no client_secret"
        ),
        "{found:#?}"
    );
}

#[test]
fn duplicate_client_ids_usernames_and_patient_ids() {
    let text = "\
version: 1
name: dups
apps:
  - {name: a, client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, client_type: public, redirect_uris: [http://127.0.0.1/cb]}
  - {name: b, client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, client_type: public, redirect_uris: [http://127.0.0.1/cb]}
beneficiaries:
  - {username: BBUser00001, patient_id: '-1'}
  - {username: BBUser00001, patient_id: '-1'}
login: {username: BBUser00001}
";
    let found = errors(text);
    assert!(
        has_error(&found, 5, "apps[1].client_id", "duplicate client_id"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 8, "beneficiaries[1].username", "duplicate username"),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            8,
            "beneficiaries[1].patient_id",
            "duplicate patient_id"
        ),
        "{found:#?}"
    );
}

#[test]
fn beneficiary_rules() {
    let text = "\
version: 1
name: benes
beneficiaries:
  - username: jane
    patient_id: abc
    name: Jane
    claims: {carrier: 3, dme: 1, xray: 2, pde: -1}
login: {username: BBUser00001}
";
    let found = errors(text);
    assert!(
        has_error(
            &found,
            4,
            "beneficiaries[0]",
            "missing required key `password`"
        ),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 5, "beneficiaries[0].patient_id", "BFD patient id"),
        "{found:#?}"
    );
    assert!(
        has_error(&found, 6, "beneficiaries[0].name", "given and family"),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            7,
            "beneficiaries[0].claims.dme",
            "not generated yet"
        ),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            7,
            "beneficiaries[0].claims.xray",
            "unknown claim type"
        ),
        "{found:#?}"
    );
    assert!(
        has_error(
            &found,
            7,
            "beneficiaries[0].claims.pde",
            "expected an integer"
        ),
        "{found:#?}"
    );
}

#[test]
fn claims_are_exact_and_unlisted_types_are_zero() {
    let text = "version: 1\nname: c\nbeneficiaries:\n  - {username: BBUser00001, patient_id: -19990000000002, claims: {pde: 7}}\nlogin: {username: BBUser00001}\n";
    let scenario = parse_text(text).unwrap();
    let claims = scenario.beneficiaries[0].claims.unwrap();
    assert_eq!((claims.get(ClaimType::Pde), claims.total()), (7, 7));
}

#[test]
fn dangling_login() {
    let found = errors("version: 1\nname: d\nlogin:\n  username: BBUser99999\n");
    assert!(
        has_error(&found, 4, "login.username", "neither a beneficiary"),
        "{found:#?}"
    );
    // BBUser28324 maps to Jane Doe's id, so that generated login does not exist here.
    let found = errors("version: 1\nname: d\nlogin:\n  username: BBUser28324\n");
    assert!(
        has_error(&found, 4, "login.username", "neither a beneficiary"),
        "{found:#?}"
    );
    // The default login dangles when the file's beneficiaries take Jane's generated id.
    let text = "version: 1\nname: d\nbeneficiaries:\n  - {username: someone, password: x, patient_id: '-20140000010000'}\n";
    let found = errors(text);
    assert!(
        has_error(&found, 1, "login.username", "BBUser29999"),
        "{found:#?}"
    );
}

#[test]
fn bad_yaml_and_duplicate_keys_are_one_positioned_error() {
    let found = errors("version: 1\nname: [unclosed\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].3.contains("invalid YAML"));
    let found = errors("version: 1\nname: a\nname: b\n");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].2.as_str()), (3, "name"));
    assert!(
        found[0]
            .3
            .contains("duplicate key `name` (first given on line 2)")
    );
    let found = errors("");
    assert!(
        has_error(&found, 1, "", "missing required key `version`"),
        "{found:#?}"
    );
    for text in ["- a list\n", "just text\n"] {
        let found = errors(text);
        assert_eq!(found.len(), 1, "{text:?}: {found:#?}");
    }
    let found = errors("base: &a {x: 1}\nname: *a\n");
    assert_eq!(found.len(), 1);
}

#[test]
fn builtins_parse_and_are_named_after_their_files() {
    for name in builtin_names() {
        let scenario = builtin(name).unwrap();
        assert_eq!(scenario.name, *name);
        assert!(!scenario.description.is_empty());
    }
    assert_eq!(builtin_names()[0], DEFAULT_SCENARIO);
    assert!(matches!(builtin("nope"), Err(LoadError::NotFound { .. })));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn on_arbitrary_text(text in "[ -~\\n\\t]{0,200}") {
            let _ = parse_text(&text);
        }

        #[test]
        fn on_yaml_shaped_text(lines in prop::collection::vec("( {0,4})(version|name|apps|login|tokens|- |claims|[a-z_]{1,8})(: ?)([-a-zA-Z0-9\\[\\]{},'\" ]{0,12})", 0..12)) {
            let _ = parse_text(&lines.join("\n"));
        }
    }
}
