//! Scenario files: defaults, merging, and every validation rule with its position.

use super::*;
use crate::claim_type::{ClaimCounts, ClaimType};

fn parse_text(text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse(text, Source::Builtin("test"))
}

/// The errors of `text` as `line:column: key: message`, failing if it parses.
fn errors(text: &str) -> Vec<String> {
    let prefix = format!("{}:", Source::Builtin("test"));
    match parse_text(text) {
        Ok(scenario) => panic!("expected errors, parsed {scenario:#?}"),
        Err(errors) => errors
            .iter()
            .map(|e| e.to_string().replacen(&prefix, "", 1))
            .collect(),
    }
}

/// Fails unless `text` has exactly one error and it starts with `expected`.
fn assert_one_error(text: &str, expected: &str) {
    let found = errors(text);
    assert!(
        found.len() == 1 && found[0].starts_with(expected),
        "{text}\nexpected one error starting with {expected:?}, found {found:#?}"
    );
}

/// A file with `extra` after the required keys.
fn with(extra: &str) -> String {
    format!("version: 1\nname: t\n{extra}")
}

#[test]
fn defaults_are_the_designed_ones() {
    let apps = defaults::apps();
    let scopes: Vec<String> = defaults::SUPPORTED_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        apps,
        vec![
            App {
                name: "bbh confidential web app".into(),
                client_id: "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2".into(),
                client_secret: Some("bbh-sandbox-secret".into()),
                client_type: ClientType::Confidential,
                grant_types: vec![GrantType::AuthorizationCode],
                redirect_uris: vec![
                    "http://localhost:8080/testclient/callback".into(),
                    "http://127.0.0.1/callback".into(),
                ],
                scopes: scopes.clone(),
                require_demographic_scopes: true,
                data_access_type: DataAccessType::ThirteenMonth,
                active: true,
            },
            App {
                name: "bbh public native app".into(),
                client_id: "bbhPublicNativeClient0000000000000000000".into(),
                client_secret: None,
                client_type: ClientType::Public,
                grant_types: vec![GrantType::AuthorizationCode, GrantType::Implicit],
                redirect_uris: vec![
                    "http://localhost:8080/testclient/callback".into(),
                    "gov.cms.bluebutton.oauthtester:/callback".into(),
                    "http://127.0.0.1/callback".into(),
                ],
                scopes,
                require_demographic_scopes: true,
                data_access_type: DataAccessType::ThirteenMonth,
                active: true,
            },
        ]
    );
    assert_eq!(apps[0].client_id, defaults::CONFIDENTIAL_CLIENT_ID);
    assert_eq!(
        apps[0].client_secret.as_deref(),
        Some(defaults::CONFIDENTIAL_CLIENT_SECRET)
    );
    assert_eq!(apps[1].client_id, defaults::PUBLIC_CLIENT_ID);
    let mut expected_scopes = vec!["openid", "profile", "launch/patient"];
    let resources = ["Patient", "Coverage", "ExplanationOfBenefit"];
    let scope_names: Vec<String> = resources
        .iter()
        .flat_map(|r| ["read", "r", "s", "rs"].map(|access| format!("patient/{r}.{access}")))
        .collect();
    expected_scopes.extend(scope_names.iter().map(String::as_str));
    assert_eq!(defaults::SUPPORTED_SCOPES, expected_scopes.as_slice());

    assert_eq!(
        defaults::beneficiaries(),
        vec![
            BeneficiarySpec {
                username: "BBUser29999".into(),
                password: "PW29999!".into(),
                patient_id: "-20140000008325".into(),
                name: Some("Jane X Doe".into()),
                claims: None,
            },
            BeneficiarySpec {
                username: "BBUser20023".into(),
                password: "PW20023!".into(),
                patient_id: "-20140000000024".into(),
                name: None,
                claims: Some(ClaimCounts::from_pairs([
                    (ClaimType::Carrier, 44),
                    (ClaimType::Inpatient, 1),
                    (ClaimType::Pde, 103),
                ])),
            },
        ]
    );
    assert_eq!(
        defaults::login(),
        Login {
            username: "BBUser29999".into(),
            share_demographics: true,
            approve: true,
            probe: None,
        }
    );
    assert_eq!(
        defaults::tokens(),
        Tokens {
            access_ttl: None,
            code_ttl: 60,
            expire_after_calls: None,
        }
    );
}

#[test]
fn a_minimal_file_takes_every_default() {
    let scenario = parse_text("version: 1\nname: minimal\n").unwrap();
    assert_eq!(
        scenario,
        Scenario {
            version: 1,
            name: "minimal".into(),
            description: String::new(),
            profile: Profile::Documented,
            environment: Environment::Sandbox,
            seed: 0,
            now: None,
            apps: defaults::apps(),
            beneficiaries: defaults::beneficiaries(),
            login: defaults::login(),
            tokens: defaults::tokens(),
            expect: Expect::default(),
            stubs: Vec::new(),
            strict: false,
            states: Vec::new(),
            rate_limit: None,
            source: Source::Builtin("test"),
        }
    );
}

#[test]
fn every_key_is_read() {
    let text = "\
version: 1
name: full-file-2
description: Everything given
profile: current
seed: 18446744073709551615
apps:
  - name: Web
    client_id: 0123456789abcdefghijABCDEFGHIJ0123456789
    client_secret: s3cret
    client_type: confidential
    grant_types: [authorization-code]
    redirect_uris: ['http://127.0.0.1/callback']
    scopes: [openid, patient/Coverage.rs]
    require_demographic_scopes: false
beneficiaries:
  - username: alice
    password: pw
    patient_id: '123'
    name: Alice B Cooper
    claims: {carrier: 2}
login:
  username: alice
  share_demographics: false
  approve: false
tokens:
  access_ttl: 31536000
  code_ttl: 1
";
    let scenario = parse_text(text).unwrap();
    assert_eq!(
        (
            scenario.name.as_str(),
            scenario.description.as_str(),
            scenario.profile,
            scenario.seed
        ),
        (
            "full-file-2",
            "Everything given",
            Profile::Current,
            u64::MAX
        )
    );
    assert_eq!(
        scenario.apps,
        vec![App {
            name: "Web".into(),
            client_id: "0123456789abcdefghijABCDEFGHIJ0123456789".into(),
            client_secret: Some("s3cret".into()),
            client_type: ClientType::Confidential,
            grant_types: vec![GrantType::AuthorizationCode],
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            scopes: vec!["openid".into(), "patient/Coverage.rs".into()],
            require_demographic_scopes: false,
            data_access_type: DataAccessType::ThirteenMonth,
            active: true,
        }]
    );
    assert_eq!(
        scenario.beneficiaries,
        vec![BeneficiarySpec {
            username: "alice".into(),
            password: "pw".into(),
            patient_id: "123".into(),
            name: Some("Alice B Cooper".into()),
            claims: Some(ClaimCounts::from_pairs([(ClaimType::Carrier, 2)])),
        }]
    );
    assert_eq!(
        scenario.login,
        Login {
            username: "alice".into(),
            share_demographics: false,
            approve: false,
            probe: None,
        }
    );
    assert_eq!(
        scenario.tokens,
        Tokens {
            access_ttl: Some(31_536_000),
            code_ttl: 1,
            expire_after_calls: None,
        }
    );
}

#[test]
fn lists_replace_and_maps_merge_key_by_key() {
    let text = with(
        "\
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
",
    );
    let scenario = parse_text(&text).unwrap();
    assert_eq!(
        scenario.apps,
        vec![App {
            name: "only app".into(),
            client_id: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            client_secret: None,
            client_type: ClientType::Public,
            grant_types: vec![GrantType::AuthorizationCode],
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            scopes: defaults::apps().remove(0).scopes,
            require_demographic_scopes: true,
            data_access_type: DataAccessType::ThirteenMonth,
            active: true,
        }]
    );
    assert_eq!(
        scenario.beneficiaries,
        vec![BeneficiarySpec {
            username: "BBUser00007".into(),
            password: "PW00007!".into(),
            patient_id: "-19990000000008".into(),
            name: None,
            claims: None,
        }]
    );
    // Only `approve` changes; the default username stays, and resolves as a generated
    // sandbox login since no beneficiary of this file has its patient id.
    let login = Login {
        approve: false,
        ..defaults::login()
    };
    assert_eq!(scenario.login, login);
    let tokens = Tokens {
        code_ttl: 5,
        ..defaults::tokens()
    };
    assert_eq!(scenario.tokens, tokens);
    let scenario = parse_text(&with("tokens: {access_ttl: 10}\nlogin: {}\n")).unwrap();
    assert_eq!(
        (scenario.tokens.access_ttl, scenario.tokens.code_ttl),
        (Some(10), 60)
    );
    assert_eq!(scenario.login, defaults::login());
}

#[test]
fn every_error_of_a_file_is_reported_with_its_position() {
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
apps:
  - name: a
    client_type: secret
    redirect_uris: []
";
    assert_eq!(
        errors(text),
        [
            "1:10: version: expected 1, found 2",
            "2:7: name: expected a kebab-case name such as `my-scenario`, found `Not Kebab`",
            "3:1: colour: unknown key `colour`; expected one of: version, name, description, \
             profile, environment, seed, now, apps, beneficiaries, login, tokens, expect, stubs, strict, states, rate_limit",
            "4:10: profile: unknown profile `newest`; expected `documented` or `current`",
            "5:7: seed: expected an integer from 0 to 18446744073709551615, found -1",
            "7:13: tokens.code_ttl: expected an integer from 1 to 86400, found a string",
            "8:3: tokens.refresh_ttl: unknown key `refresh_ttl`; expected one of: access_ttl, \
             code_ttl, expire_after_calls",
            "10:12: login.approve: expected true or false, found a string",
            "12:5: apps[0]: missing required key `client_id`",
            "13:18: apps[0].client_type: unknown client type `secret`; expected `confidential` \
             or `public`",
            "14:20: apps[0].redirect_uris: expected at least one redirect URI",
        ]
    );
}

#[test]
fn missing_required_keys_are_reported_at_their_mapping() {
    assert_eq!(
        errors("# a comment\ndescription: nothing else\n"),
        [
            "2:1: missing required key `version`",
            "2:1: missing required key `name`",
        ]
    );
    assert_eq!(
        errors(&with("beneficiaries:\n  - {name: Jane Doe}\n")),
        [
            "4:5: beneficiaries[0]: missing required key `username`",
            "4:5: beneficiaries[0]: missing required key `patient_id`",
        ]
    );
}

#[test]
fn unknown_keys_are_errors_at_every_level() {
    let text = with(
        "\
apps:
  - name: a
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: public
    redirect_uris: [http://127.0.0.1/callback]
    logo_uri: https://x
beneficiaries:
  - username: BBUser00001
    patient_id: '-1'
    email: a@b
    claims: {carrier: 1, xray: 2}
login:
  username: BBUser00001
  password: x
tokens:
  refresh_ttl: 3
expect:
  check: {pkce-s256: pass}
stubs:
  - when: {path: /, cookie: a=1}
    then: {pause: 5}
",
    );
    assert_eq!(
        errors(&text),
        [
            "8:5: apps[0].logo_uri: unknown key `logo_uri`; expected one of: name, \
             client_id, client_secret, client_type, grant_types, redirect_uris, scopes, \
             require_demographic_scopes, data_access_type, active",
            "12:5: beneficiaries[0].email: unknown key `email`; expected one of: username, \
             password, patient_id, name, claims",
            "13:26: beneficiaries[0].claims.xray: unknown claim type `xray`; expected one of: \
             carrier, dme, hha, hospice, inpatient, outpatient, pde, snf",
            "16:3: login.password: unknown key `password`; expected one of: username, \
             share_demographics, approve, probe",
            "18:3: tokens.refresh_ttl: unknown key `refresh_ttl`; expected one of: \
             access_ttl, code_ttl, expire_after_calls",
            "20:3: expect.check: unknown key `check`; expected one of: checks, \
             output_schema, snapshot",
            "22:21: stubs[0].when.cookie: unknown key `cookie`; expected one of: method, path, \
             query, headers, form, session, nth",
            "23:12: stubs[0].then.pause: unknown key `pause`; expected one of: status, \
             headers, body, body_file, passthrough, fault, delay, sequence",
        ]
    );
}

#[test]
fn values_of_the_wrong_type() {
    for (extra, expected) in [
        (
            "tokens:\n  code_ttl: '60'\n",
            "4:13: tokens.code_ttl: expected an integer from 1 to 86400, found a string",
        ),
        (
            "tokens:\n  code_ttl: 1.5\n",
            "4:13: tokens.code_ttl: expected an integer from 1 to 86400, found a number",
        ),
        (
            "tokens:\n  access_ttl: 31536001\n",
            "4:15: tokens.access_ttl: expected an integer from 1 to 31536000, found 31536001",
        ),
        (
            "tokens:\n  code_ttl: 0\n",
            "4:13: tokens.code_ttl: expected an integer from 1 to 86400, found 0",
        ),
        (
            "seed: 18446744073709551616\n",
            "3:7: seed: expected an integer from 0 to 18446744073709551615, found \
             18446744073709551616",
        ),
        (
            "login:\n  approve: \"true\"\n",
            "4:12: login.approve: expected true or false, found a string",
        ),
        (
            "login:\n  approve: yes\n",
            "4:12: login.approve: expected true or false, found a string",
        ),
        (
            "login:\n  approve: True\n",
            "4:12: login.approve: expected true or false, found a string",
        ),
        (
            "login:\n  approve: 1\n",
            "4:12: login.approve: expected true or false, found an integer",
        ),
        (
            "description: 12\n",
            "3:14: description: expected a string, found an integer (quote it to make it a \
             string)",
        ),
        (
            "description: true\n",
            "3:14: description: expected a string, found a boolean (quote it to make it a \
             string)",
        ),
        ("login:\n", "3:1: login: expected a mapping, found nothing"),
        (
            "login: [a]\n",
            "3:8: login: expected a mapping, found a list",
        ),
        (
            "apps: {name: a}\n",
            "3:7: apps: expected a list, found a mapping",
        ),
        ("apps: []\n", "3:7: apps: expected at least one app"),
        (
            "beneficiaries:\n  - just a name\n",
            "4:5: beneficiaries[0]: expected a mapping, found a string",
        ),
    ] {
        assert_one_error(&with(extra), expected);
    }
    assert_one_error(
        "version: '1'\nname: t\n",
        "1:10: version: expected 1, found a string",
    );
    assert_one_error(
        "version: 1\nname: ~\n",
        "2:7: name: expected a string, found nothing",
    );
}

#[test]
fn app_rules() {
    let text = with(
        "\
apps:
  - name: a
    client_id: short
    client_type: confidential
    redirect_uris: ['http://x/cb#frag', no-scheme, 'http:///nohost', 'http://a b', 7]
    scopes: [profile, patient/AuditEvent.rs, profile]
  - name: b
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: confidential
    client_secret: ''
    grant_types: [implicit, password, implicit]
  - name: c
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: public
    client_secret: s
    grant_types: []
    redirect_uris: [gov.cms.app:/cb]
    require_demographic_scopes: no
",
    );
    assert_eq!(
        errors(&text),
        [
            "4:5: apps[0]: missing required key `client_secret` (a confidential app has a \
             secret)",
            "5:16: apps[0].client_id: expected exactly 40 letters and digits (BB2's client_id \
             format), found `short`",
            "7:21: apps[0].redirect_uris[0]: redirect URI `http://x/cb#frag` has a fragment \
             (`#`), which OAuth forbids",
            "7:41: apps[0].redirect_uris[1]: redirect URI `no-scheme` is not absolute: \
             expected e.g. http://127.0.0.1/callback",
            "7:52: apps[0].redirect_uris[2]: redirect URI `http:///nohost` has no host: \
             expected e.g. http://127.0.0.1/callback",
            "7:70: apps[0].redirect_uris[3]: redirect URI `http://a b` contains whitespace",
            "7:84: apps[0].redirect_uris[4]: expected a string, found an integer (quote it to \
             make it a string)",
            "8:23: apps[0].scopes[1]: unsupported scope `patient/AuditEvent.rs`; expected one \
             of: openid, profile, launch/patient, patient/Patient.read, patient/Patient.r, \
             patient/Patient.s, patient/Patient.rs, patient/Coverage.read, \
             patient/Coverage.r, patient/Coverage.s, patient/Coverage.rs, \
             patient/ExplanationOfBenefit.read, patient/ExplanationOfBenefit.r, \
             patient/ExplanationOfBenefit.s, patient/ExplanationOfBenefit.rs",
            "8:46: apps[0].scopes[2]: duplicate scope (first given on line 8)",
            "9:5: apps[1]: missing required key `redirect_uris`",
            "12:20: apps[1].client_secret: expected a non-empty secret",
            "13:19: apps[1].grant_types[0]: the implicit grant is for public apps only",
            "13:29: apps[1].grant_types[1]: unknown grant type `password`; expected \
             `authorization-code` or `implicit`",
            "13:39: apps[1].grant_types[2]: duplicate grant type (first given on line 13)",
            "13:39: apps[1].grant_types[2]: the implicit grant is for public apps only",
            "15:16: apps[2].client_id: duplicate client_id (first given on line 10)",
            "17:20: apps[2].client_secret: a public app has no client_secret",
            "18:18: apps[2].grant_types: expected at least one grant type",
            "20:33: apps[2].require_demographic_scopes: expected true or false, found a string",
        ]
    );
}

#[test]
fn beneficiary_rules() {
    let text = with(
        "\
beneficiaries:
  - username: jane doe
    patient_id: abc
    name: Jane
    claims: {carrier: 3, dme: 1, pde: -1, inpatient: 1000001, Snf: 2}
  - username: jane
    patient_id: -5
  - username: BBUser00001
    patient_id: '-5'
    claims: [1]
  - username: BBUser00001
    patient_id: 0x1F
login: {username: BBUser00001}
",
    );
    assert_eq!(
        errors(&text),
        [
            "4:15: beneficiaries[0].username: expected a login name without spaces",
            "5:17: beneficiaries[0].patient_id: expected a BFD patient id (digits with an \
             optional leading `-`), found `abc`",
            "6:11: beneficiaries[0].name: expected given and family names, e.g. `Jane X \
             Doe`, found `Jane`",
            "7:39: beneficiaries[0].claims.pde: expected an integer from 0 to 1000000, found -1",
            "7:54: beneficiaries[0].claims.inpatient: expected an integer from 0 to 1000000, \
             found 1000001",
            "7:63: beneficiaries[0].claims.Snf: unknown claim type `Snf`; expected one of: \
             carrier, dme, hha, hospice, inpatient, outpatient, pde, snf",
            "8:5: beneficiaries[1]: missing required key `password` (only sandbox logins \
             BBUserNNNNN have a default)",
            "11:17: beneficiaries[2].patient_id: duplicate patient_id (first given on line 9)",
            "12:13: beneficiaries[2].claims: expected a mapping, found a list",
            "13:15: beneficiaries[3].username: duplicate username (first given on line 10)",
            "14:17: beneficiaries[3].patient_id: expected a BFD patient id (digits with an \
             optional leading `-`), found `0x1F`",
        ]
    );
    let found = errors(&with(
        "beneficiaries:\n  - {username: a, password: x, patient_id: '-5'}\n  - {username: b, password: x, patient_id: -5}\nlogin: {username: a}\n",
    ));
    assert_eq!(
        found,
        ["5:44: beneficiaries[1].patient_id: duplicate patient_id (first given on line 4)"]
    );
}

#[test]
fn claims_are_exact_and_unlisted_types_are_zero() {
    let text = with(
        "beneficiaries:\n  - {username: BBUser00001, patient_id: '-19990000000002', claims: {pde: 7}}\nlogin: {username: BBUser00001}\n",
    );
    let scenario = parse_text(&text).unwrap();
    assert_eq!(
        scenario.beneficiaries[0].claims,
        Some(ClaimCounts::from_pairs([(ClaimType::Pde, 7)]))
    );
    assert_eq!(scenario.beneficiaries[0].password, "PW00001!");
    let scenario = parse_text(&text.replace("{pde: 7}", "{}")).unwrap();
    assert_eq!(
        scenario.beneficiaries[0].claims,
        Some(ClaimCounts::default())
    );
}

#[test]
fn claims_of_all_eight_types_are_accepted() {
    let text = with(
        "beneficiaries:\n  - username: BBUser00001\n    patient_id: '-19990000000002'\n    claims: {carrier: 1, dme: 2, hha: 3, hospice: 4, inpatient: 5, outpatient: 6, pde: 7, snf: 8}\nlogin: {username: BBUser00001}\n",
    );
    let scenario = parse_text(&text).unwrap();
    let counts = scenario.beneficiaries[0].claims.unwrap();
    for (n, claim_type) in ClaimType::ALL.into_iter().enumerate() {
        assert_eq!(counts.get(claim_type), n as u32 + 1, "{claim_type}");
    }
    assert_eq!(counts.total(), 36);
}

#[test]
fn dangling_logins() {
    assert_eq!(
        errors(&with("login:\n  username: nobody\n")),
        [
            "4:13: login.username: `nobody` is neither a beneficiary of this scenario nor a \
             sandbox login (BBUserNNNNN); expected e.g. one of: BBUser29999, BBUser20023"
        ]
    );
    // BBUser28324 maps to Jane Doe's patient id: that generated login does not exist here.
    assert_eq!(
        errors(&with("login:\n  username: BBUser28324\n")),
        [
            "4:13: login.username: `BBUser28324` does not exist in this scenario: its sandbox \
             patient id -20140000008325 is beneficiary `BBUser29999`'s; expected e.g. one of: \
             BBUser29999, BBUser20023"
        ]
    );
    // The default login dangles when the file's beneficiaries take its generated id.
    let text = with(
        "beneficiaries:\n  - {username: someone, password: x, patient_id: '-20140000010000'}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "1:1: login.username: the default login `BBUser29999` does not exist in this \
             scenario: its sandbox patient id -20140000010000 is beneficiary `someone`'s; \
             expected e.g. one of: someone"
        ]
    );
    let text = with("beneficiaries: []\nlogin: {username: Jane}\n");
    assert_eq!(
        errors(&text),
        [
            "4:19: login.username: `Jane` is neither a beneficiary of this scenario nor a \
             sandbox login (BBUserNNNNN)"
        ]
    );
    // A dangling login is reported along with the other errors of `login`.
    assert_eq!(
        errors(&with(
            "beneficiaries: []\nlogin: {username: Jane, approve: yes}\n"
        )),
        [
            "4:19: login.username: `Jane` is neither a beneficiary of this scenario nor a \
             sandbox login (BBUserNNNNN)",
            "4:34: login.approve: expected true or false, found a string",
        ]
    );
    // Any sandbox login nobody took exists, even with no scenario beneficiaries at all.
    assert!(parse_text(&with("beneficiaries: []\nlogin: {username: BBUser10000}\n")).is_ok());
    assert!(parse_text(&with("login: {username: BBUser20023}\n")).is_ok());
}

#[test]
fn bad_yaml_is_one_positioned_error() {
    assert_eq!(
        errors("version: 1\nname: [unclosed\n"),
        ["3:1: invalid YAML: while parsing a flow sequence, expected ',' or ']'"]
    );
    assert_eq!(
        errors("version: 1\n name: x\n"),
        ["2:6: invalid YAML: mapping values are not allowed in this context"]
    );
    assert_eq!(
        errors("version: 1\nname: &a x\nseed: *a\n"),
        ["2:10: YAML anchors and aliases are not supported"]
    );
    assert_eq!(
        errors("version: !!int 1\n"),
        ["1:16: YAML tags are not supported"]
    );
}

#[test]
fn a_duplicate_key_is_one_positioned_error() {
    assert_eq!(
        errors("version: 1\nname: a\nlogin:\n  approve: true\n  approve: false\nname: b\n"),
        ["5:3: duplicate key `approve` (first given on line 4)"]
    );
}

#[test]
fn a_file_without_a_mapping_is_one_error_at_the_top() {
    for text in ["", "# only a comment\n", "{}\n"] {
        assert_eq!(
            errors(text),
            ["1:1: empty scenario: expected at least `version: 1` and a `name`"],
            "{text:?}"
        );
    }
    for text in ["- a list\n", "just text\n", "# comment\n42\n"] {
        assert_eq!(
            errors(text),
            ["1:1: expected a mapping of scenario keys at the top level"],
            "{text:?}"
        );
    }
}

#[test]
fn errors_display_with_origin_position_and_key() {
    let error = ScenarioError {
        origin: "s.yaml".into(),
        line: 3,
        column: 5,
        key: "apps[0].client_id".into(),
        message: "bad".into(),
    };
    assert_eq!(error.to_string(), "s.yaml:3:5: apps[0].client_id: bad");
    let top = ScenarioError {
        key: String::new(),
        ..error.clone()
    };
    assert_eq!(top.to_string(), "s.yaml:3:5: bad");
    assert_eq!(
        LoadError::Invalid(vec![error, top]).to_string(),
        "s.yaml:3:5: apps[0].client_id: bad\ns.yaml:3:5: bad"
    );
    let Err(errors) = parse("name: x\n", Source::File("dir/x.yaml".into())) else {
        panic!("a file without version parsed");
    };
    assert_eq!(
        errors[0].to_string(),
        "dir/x.yaml:1:1: missing required key `version`"
    );
}

#[test]
fn builtins_parse_and_are_named_after_their_files() {
    assert_eq!(
        builtin_names(),
        [
            "oauth-success",
            "denied-demographics",
            "invalid-claim-type",
            "small-response-no-gzip",
            "pagination",
            "access-denied",
            "public-app",
            "tampered-state",
            "replay-callback",
            "token-expiry",
            "refresh-failure",
            "rate-limited",
            "upstream-outage",
        ]
    );
    assert_eq!(builtin_names()[0], DEFAULT_SCENARIO);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in builtin_names() {
        let file = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap();
        assert_eq!(builtin_text(name), Some(file.as_str()));
        let scenario = builtin(name).unwrap();
        assert_eq!(scenario.name, *name);
        assert_eq!(scenario.source, Source::Builtin(name));
        assert!(!scenario.description.is_empty());
    }
}

#[test]
fn builtins_reproduce_what_they_say() {
    let scenario = builtin("denied-demographics").unwrap();
    assert!(!scenario.login.share_demographics && scenario.login.approve);
    let scenario = builtin("invalid-claim-type").unwrap();
    assert_eq!(scenario.login.username, "BBUser20023");
    let counts = |name: &str| {
        let scenario = builtin(name).unwrap();
        let bene = scenario
            .beneficiaries
            .iter()
            .find(|b| b.username == scenario.login.username);
        bene.and_then(|b| b.claims).map(|c| c.total())
    };
    assert_eq!(counts("invalid-claim-type"), Some(148));
    assert_eq!(counts("small-response-no-gzip"), Some(0));
    assert_eq!(counts("pagination"), Some(260));
    assert_eq!(
        builtin("pagination").unwrap().beneficiaries,
        vec![BeneficiarySpec {
            username: "BBUser21000".into(),
            password: "PW21000!".into(),
            patient_id: "-20140000001001".into(),
            name: Some("Paige N Turner".into()),
            claims: Some(ClaimCounts::from_pairs([
                (ClaimType::Carrier, 120),
                (ClaimType::Inpatient, 7),
                (ClaimType::Pde, 133),
            ])),
        }]
    );
    assert_eq!(
        builtin("small-response-no-gzip").unwrap().beneficiaries,
        vec![BeneficiarySpec {
            username: "BBUser20000".into(),
            password: "PW20000!".into(),
            patient_id: "-20140000000001".into(),
            name: Some("Sam Q Small".into()),
            claims: Some(ClaimCounts::default()),
        }]
    );
    let success = builtin("oauth-success").unwrap();
    let minimal = parse_text("version: 1\nname: oauth-success\n").unwrap();
    assert_eq!(
        Scenario {
            description: String::new(),
            source: minimal.source.clone(),
            ..success
        },
        minimal
    );
}

#[test]
fn resolve_prefers_an_existing_file_then_a_builtin() {
    let dir = std::env::temp_dir().join(format!("bbh-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pagination");
    std::fs::write(&path, "version: 1\nname: from-a-file\n").unwrap();
    let from_file = resolve(path.to_str().unwrap()).unwrap();
    assert_eq!(
        (from_file.name.as_str(), &from_file.source),
        ("from-a-file", &Source::File(path.clone()))
    );
    assert_eq!(resolve("pagination").unwrap().name, "pagination");
    let missing = resolve("no-such-scenario").unwrap_err().to_string();
    assert_eq!(
        missing,
        format!(
            "no file or built-in scenario named `no-such-scenario` (built-in: {})",
            builtin_names().join(", ")
        )
    );
    let unreadable = load_file(&dir.join("absent.yaml")).unwrap_err().to_string();
    assert!(
        unreadable.starts_with(&format!(
            "cannot read {}: ",
            dir.join("absent.yaml").display()
        )),
        "{unreadable}"
    );
    std::fs::write(&path, "version: 1\n").unwrap();
    let invalid = load_file(&path).unwrap_err().to_string();
    assert_eq!(
        invalid,
        format!("{}:1:1: missing required key `name`", path.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
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
        fn on_yaml_shaped_text(lines in prop::collection::vec("( {0,4})(version|name|apps|beneficiaries|login|tokens|claims|- |[a-z_]{1,8})(: ?)([-a-zA-Z0-9\\[\\]{},'\"~ ]{0,12})", 0..12)) {
            let _ = parse_text(&lines.join("\n"));
        }
    }
}

#[test]
fn probes_call_limits_expectations_and_stubs_are_read() {
    let text = "\
version: 1
name: conform-keys
login:
  probe: replay-callback
tokens:
  expire_after_calls: 3
expect:
  checks:
    pkce-s256: pass
    state-sent: fail
  output_schema: schemas/output.schema.json
  snapshot: true
stubs:
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/, nth: 2}
    then: {status: 429, headers: {Retry-After: '1'}, body: {detail: Request was throttled.}}
  - when: {path: /v2/o/token/}
    then: {passthrough: true, headers: {X-Extra: '1'}}
  - when: {path: /raw}
    then:
      body: 'not json'
  - when: {path: /list}
    then:
      body: [1, -2, 1.5, true, ~, '3', {a: [x]}]
";
    let scenario = parse(text, Source::File("dir/sub/s.yaml".into())).unwrap();
    assert_eq!(scenario.login.probe, Some(Probe::ReplayCallback));
    assert_eq!(scenario.tokens.expire_after_calls, Some(3));
    assert_eq!(
        scenario.expect,
        Expect {
            checks: vec![
                ExpectedCheck {
                    id: "pkce-s256".into(),
                    outcome: ExpectedOutcome::Pass,
                    line: 9,
                    column: 5,
                },
                ExpectedCheck {
                    id: "state-sent".into(),
                    outcome: ExpectedOutcome::Fail,
                    line: 10,
                    column: 5,
                },
            ],
            output_schema: Some("dir/sub/schemas/output.schema.json".into()),
            snapshot: true,
        }
    );
    let header = |name: &str, value: &'static str| {
        (
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_static(value),
        )
    };
    assert_eq!(
        scenario.stubs,
        vec![
            Stub {
                when: StubWhen {
                    method: Some(http::Method::GET),
                    path: "/v2/fhir/ExplanationOfBenefit/".into(),
                    query: Vec::new(),
                    headers: Vec::new(),
                    form: Vec::new(),
                    session: None,
                    nth: Some(2),
                },
                then: StubThen {
                    status: Some(http::StatusCode::TOO_MANY_REQUESTS),
                    headers: vec![header("Retry-After", "1")],
                    body: Some(bytes::Bytes::from_static(
                        br#"{"detail":"Request was throttled."}"#
                    )),
                    passthrough: None,
                    fault: None,
                    delay: None,
                    sequence: Vec::new(),
                },
            },
            Stub {
                when: StubWhen {
                    method: None,
                    path: "/v2/o/token/".into(),
                    query: Vec::new(),
                    headers: Vec::new(),
                    form: Vec::new(),
                    session: None,
                    nth: None,
                },
                then: StubThen {
                    status: None,
                    headers: vec![header("x-extra", "1")],
                    body: None,
                    passthrough: Some(Passthrough::default()),
                    fault: None,
                    delay: None,
                    sequence: Vec::new(),
                },
            },
            Stub {
                when: StubWhen {
                    method: None,
                    path: "/raw".into(),
                    query: Vec::new(),
                    headers: Vec::new(),
                    form: Vec::new(),
                    session: None,
                    nth: None,
                },
                then: StubThen {
                    status: None,
                    headers: Vec::new(),
                    body: Some(bytes::Bytes::from_static(b"not json")),
                    passthrough: None,
                    fault: None,
                    delay: None,
                    sequence: Vec::new(),
                },
            },
            Stub {
                when: StubWhen {
                    method: None,
                    path: "/list".into(),
                    query: Vec::new(),
                    headers: Vec::new(),
                    form: Vec::new(),
                    session: None,
                    nth: None,
                },
                then: StubThen {
                    status: None,
                    headers: Vec::new(),
                    body: Some(bytes::Bytes::from_static(
                        br#"[1,-2,1.5,true,null,"3",{"a":["x"]}]"#
                    )),
                    passthrough: None,
                    fault: None,
                    delay: None,
                    sequence: Vec::new(),
                },
            },
        ]
    );
    let probe = parse_text(&with("login: {probe: tampered-state}\n")).unwrap();
    assert_eq!(probe.login.probe, Some(Probe::TamperedState));
    assert_eq!(probe.expect, Expect::default());
    assert!(probe.stubs.is_empty());
    let plain = parse(
        &with("expect: {output_schema: ./out.json}\n"),
        Source::File("s.yaml".into()),
    );
    assert_eq!(
        plain.unwrap().expect.output_schema,
        Some(std::path::PathBuf::from("./out.json"))
    );
}

#[test]
fn conform_key_errors() {
    let text = with(
        "\
login:
  probe: stolen-code
tokens:
  expire_after_calls: 0
expect:
  checks:
    Pkce_S256: pass
    state-sent: maybe
    token-sent:
  output_schema: /etc/schema.json
  snapshot: 'yes'
stubs:
  - when: {method: get, path: v2/fhir/Patient/, nth: 0}
    then: {status: 600, headers: {'Bad Name': x, X-A: \"a\\nb\", x-a: '2', Content-Length: '1'}}
  - when: {path: '/a?b=1'}
    then: {body: {a: 1}, passthrough: true}
  - when: {method: POST}
    then: {body: 42}
  - then: {body: [.inf, 123456789012345678901234567890], status: 99}
  - when: {path: /}
",
    );
    assert_eq!(
        errors(&text),
        [
            "4:10: login.probe: unknown probe `stolen-code`; expected `tampered-state` or \
             `replay-callback`",
            "6:23: tokens.expire_after_calls: expected an integer from 1 to \
             18446744073709551615, found 0",
            "9:5: expect.checks.Pkce_S256: expected a kebab-case check id such as \
             `pkce-s256`, found `Pkce_S256`",
            "10:17: expect.checks.state-sent: expected `pass` or `fail`, found `maybe`",
            "11:5: expect.checks.token-sent: expected a string, found nothing",
            "12:18: expect.output_schema: a built-in scenario has no folder to resolve \
             `output_schema` in; use a scenario file",
            "13:13: expect.snapshot: expected true or false, found a string",
            "15:20: stubs[0].when.method: expected an HTTP method in upper case such as `GET` \
             or `POST`, found `get`",
            "15:31: stubs[0].when.path: expected a path starting with `/` such as \
             `/v2/fhir/Patient/`, found `v2/fhir/Patient/`",
            "15:54: stubs[0].when.nth: expected an integer from 1 to 18446744073709551615, \
             found 0",
            "16:20: stubs[0].then.status: expected an integer from 100 to 599, found 600",
            "16:35: stubs[0].then.headers.Bad Name: invalid header name `Bad Name`: expected \
             letters, digits and `-` such as `Retry-After`",
            "16:55: stubs[0].then.headers.X-A: invalid header value `a\\nb`: control \
             characters are not allowed",
            "16:63: stubs[0].then.headers.x-a: duplicate header name, ignoring case (first \
             given on line 16)",
            "16:73: stubs[0].then.headers.Content-Length: `Content-Length` is set by the \
             server; a stub cannot set it",
            "17:18: stubs[1].when.path: expected a path without a query string or fragment, \
             found `/a?b=1`",
            "18:18: stubs[1].then.body: `body` and `passthrough: true` are exclusive: a \
             passthrough answer keeps the built-in body",
            "19:11: stubs[2].when: missing required key `path`",
            "20:18: stubs[2].then.body: expected a string, a mapping or a list, found an \
             integer (quote it to make it a string)",
            "21:5: stubs[3]: missing required key `when`",
            "21:19: stubs[3].then.body[0]: `.inf` has no JSON form (JSON numbers are finite, \
             integers within 64 bits); quote it to make it a string",
            "21:25: stubs[3].then.body[1]: `123456789012345678901234567890` has no JSON form \
             (JSON numbers are finite, integers within 64 bits); quote it to make it a string",
            "21:66: stubs[3].then.status: expected an integer from 100 to 599, found 99",
            "22:5: stubs[4]: missing required key `then`",
        ]
    );
    assert_one_error(
        &with("stubs: {when: {path: /}}\n"),
        "3:8: stubs: expected a list, found a mapping",
    );
    assert_one_error(
        &with("expect: {checks: [pkce-s256]}\n"),
        "3:18: expect.checks: expected a mapping, found a list",
    );
    assert_one_error(
        &with("stubs:\n  - {when: {path: /}, then: {headers: {X-A: 1}}}\n"),
        "4:45: stubs[0].then.headers.X-A: expected a string, found an integer (quote it to \
         make it a string)",
    );
    assert_one_error(
        &with("stubs:\n  - {when: {path: /}, then: {body: }}\n"),
        "4:30: stubs[0].then.body: expected a string, a mapping or a list, found nothing",
    );
}

#[test]
fn output_schema_stays_inside_the_scenario_folder() {
    let file_errors = |schema: &str| -> Vec<String> {
        let text = with(&format!("expect:\n  output_schema: '{schema}'\n"));
        match parse(&text, Source::File("dir/s.yaml".into())) {
            Ok(scenario) => panic!("parsed {:?}", scenario.expect),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    };
    assert_eq!(
        file_errors("/etc/out.json"),
        [
            "dir/s.yaml:4:18: expect.output_schema: expected a path relative to the scenario \
          file's folder, found the absolute path `/etc/out.json`"
        ]
    );
    for escaping in ["../out.json", "a/../../out.json", "a/.."] {
        assert_eq!(
            file_errors(escaping),
            [format!(
                "dir/s.yaml:4:18: expect.output_schema: `{escaping}` leaves the scenario \
                 file's folder (`..`); the schema must be inside it"
            )]
        );
    }
    assert_eq!(
        file_errors(""),
        [
            "dir/s.yaml:4:18: expect.output_schema: expected a path relative to the scenario \
          file's folder"
        ]
    );
}

#[test]
fn the_runner_needs_a_first_app_with_the_loopback_redirect() {
    let default = parse_text("version: 1\nname: t\n").unwrap();
    assert_eq!(runner_app_problem(&default), None);
    let text = with(
        "\
apps:
  - name: only web
    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
    client_type: public
    redirect_uris: ['http://localhost:8080/cb', 'http://127.0.0.1:9000/callback']
  - name: loopback second
    client_id: BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB
    client_type: public
    redirect_uris: ['http://127.0.0.1/callback']
",
    );
    let scenario = parse_text(&text).unwrap();
    assert_eq!(
        runner_app_problem(&scenario).as_deref(),
        Some(
            "the conformance runner uses the scenario's first app, `only web` \
             (AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA), which must register the redirect URI \
             `http://127.0.0.1/callback` (the client listens on a loopback port of its \
             choice); it registers: http://localhost:8080/cb, http://127.0.0.1:9000/callback"
        )
    );
}

const ONE_APP: &str = "version: 1
name: registration
apps:
  - name: Mine
    client_id: swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2
    client_secret: s
    client_type: confidential
";

#[test]
fn data_access_type_active_and_environment() {
    let scenario = parse_text(&format!(
        "{ONE_APP}    redirect_uris: [http://127.0.0.1/callback]\n    data_access_type: ONE_TIME\n    \
         active: false\nenvironment: production\n"
    ))
    .unwrap();
    assert_eq!(scenario.environment, Environment::Production);
    assert_eq!(scenario.apps[0].data_access_type, DataAccessType::OneTime);
    assert!(!scenario.apps[0].active);
    let defaults = parse_text(&format!(
        "{ONE_APP}    redirect_uris: [http://127.0.0.1/callback]\n"
    ))
    .unwrap();
    assert_eq!(defaults.environment, Environment::Sandbox);
    assert_eq!(
        defaults.apps[0].data_access_type,
        DataAccessType::ThirteenMonth
    );
    assert!(defaults.apps[0].active);
    assert_eq!(
        errors(&format!(
            "{ONE_APP}    redirect_uris: [http://127.0.0.1/callback]\n    data_access_type: \
             FOREVER\n    active: 1\nenvironment: staging\n"
        )),
        vec![
            "9:23: apps[0].data_access_type: unknown data access type `FOREVER`; expected \
             `ONE_TIME`, `THIRTEEN_MONTH` or `RESEARCH_STUDY`",
            "10:13: apps[0].active: expected true or false, found an integer",
            "11:14: environment: unknown environment `staging`; expected `sandbox` or `production`",
        ]
    );
}

#[test]
fn redirect_uris_as_one_string() {
    let scenario = parse_text(&format!(
        "{ONE_APP}    redirect_uris: \"https://app.example/cb http://127.0.0.1/callback\\n\\
         gov.cms.bluebutton.oauthtester:/callback\"\n"
    ))
    .unwrap();
    assert_eq!(
        scenario.apps[0].redirect_uris,
        vec![
            "https://app.example/cb",
            "http://127.0.0.1/callback",
            "gov.cms.bluebutton.oauthtester:/callback"
        ]
    );
    assert_eq!(
        errors(&format!(
            "{ONE_APP}    redirect_uris: \"https://app.example/cb#top http://127.0.0.1/callback\"\n"
        )),
        vec![
            "8:20: apps[0].redirect_uris: redirect URI `https://app.example/cb#top` has a \
             fragment (`#`), which OAuth forbids"
        ]
    );
    assert_eq!(
        errors(&format!("{ONE_APP}    redirect_uris: \" \"\n")),
        vec!["8:20: apps[0].redirect_uris: expected at least one redirect URI"]
    );
}

#[test]
fn production_refuses_plain_http_except_loopback() {
    let text = format!(
        "environment: production\n{ONE_APP}    redirect_uris:\n      - http://127.0.0.1/callback\n      \
         - http://localhost:8080/cb\n      - http://app.example/cb\n      - https://app.example/cb\n"
    );
    assert_eq!(
        errors(&text),
        vec![
            "12:9: apps[0].redirect_uris[2]: redirect URI `http://app.example/cb` uses plain \
             http, which production allows only for loopback hosts (127.0.0.1, [::1], \
             localhost): use https"
        ]
    );
    assert!(parse_text(&text.replace("environment: production", "environment: sandbox")).is_ok());
}

#[test]
fn stub_faults_are_named_and_exclude_bodies() {
    let scenario = parse_text(
        "version: 1\nname: f\nstubs:\n  - when: {path: /v2/fhir/Patient/}\n    then: {fault: backend-timeout}\n",
    )
    .unwrap();
    assert_eq!(
        scenario.stubs[0].then.fault.map(|spec| spec.fault),
        Some(Fault::Backend(BackendFault::Timeout))
    );
    assert_eq!(
        errors(
            "version: 1\nname: f\nstubs:\n  - when: {path: /x}\n    then: {fault: backend-failure, body: x}\n"
        ),
        vec![
            "5:19: stubs[0].then.fault: `fault` without a `rate` replaces the answer: it excludes `body`, `body_file` and `passthrough: true` (with a `rate`, they answer the requests the fault spares)"
        ]
    );
    assert_eq!(
        errors("version: 1\nname: f\nstubs:\n  - when: {path: /x}\n    then: {fault: reset}\n"),
        vec![
            "5:19: stubs[0].then.fault: unknown fault `reset`; expected one of: `backend-failure`, `backend-timeout`, `too-many-requests`, `connection-reset`, `empty-response`, `malformed-chunk`, `random-bytes`, `truncated-gzip`, `gzip-header-only`"
        ]
    );
}

#[test]
fn stub_body_files_are_read_from_inside_the_scenario_folder() {
    let outer = tempfile::tempdir().unwrap();
    let folder = outer.path().join("scenarios");
    std::fs::create_dir_all(folder.join("bodies")).unwrap();
    std::fs::write(
        folder.join("bodies/eob.json"),
        br#"{"resourceType":"Bundle"}"#,
    )
    .unwrap();
    std::fs::write(outer.path().join("secret.json"), b"{}").unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret.json"), folder.join("link.json")).unwrap();
    let load = |then: &str| {
        let file = folder.join("s.yaml");
        std::fs::write(
            &file,
            format!("version: 1\nname: s\nstubs:\n  - when: {{path: /x}}\n    then: {then}\n"),
        )
        .unwrap();
        load_file(&file).map_err(|error| error.to_string())
    };
    let scenario = load("{body_file: bodies/eob.json}").unwrap();
    assert_eq!(
        scenario.stubs[0].then.body.as_deref(),
        Some(&br#"{"resourceType":"Bundle"}"#[..])
    );
    for (then, problem) in [
        (
            "{body_file: ../secret.json}",
            "leaves the scenario file's folder (`..`); the body must be inside it",
        ),
        (
            "{body_file: link.json}",
            "resolves outside the scenario file's folder (a symbolic link)",
        ),
        ("{body_file: missing.json}", "cannot read"),
        (
            "{body_file: bodies/eob.json, body: x}",
            "`body` and `body_file` are exclusive",
        ),
    ] {
        let error = load(then).unwrap_err();
        assert!(error.contains("5:"), "{then}: {error}");
        assert!(error.contains(problem), "{then}: {error}");
    }
    assert_eq!(
        errors(
            "version: 1\nname: s\nstubs:\n  - when: {path: /x}\n    then: {body_file: a.json}\n"
        ),
        [
            "5:23: stubs[0].then.body_file: a built-in scenario has no folder to resolve `body_file` in; use a scenario file"
        ]
    );
}
