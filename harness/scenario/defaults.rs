//! The built-in scenario's defaults (DESIGN "Defaults of the built-in scenario"): what every
//! scenario starts from. Lists given in a file replace these; maps merge over them.

use crate::claim_type::{ClaimCounts, ClaimType};
use crate::scenario::model::{
    App, BeneficiarySpec, ClientType, DataAccessType, GrantType, Login, Tokens,
};

/// Every scope BB2 v1/v2 accepts (behaviour file §2.3), in this order.
pub const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "launch/patient",
    "patient/Patient.read",
    "patient/Patient.r",
    "patient/Patient.s",
    "patient/Patient.rs",
    "patient/Coverage.read",
    "patient/Coverage.r",
    "patient/Coverage.s",
    "patient/Coverage.rs",
    "patient/ExplanationOfBenefit.read",
    "patient/ExplanationOfBenefit.r",
    "patient/ExplanationOfBenefit.s",
    "patient/ExplanationOfBenefit.rs",
];

/// The confidential web app's client id (the guide's example).
pub const CONFIDENTIAL_CLIENT_ID: &str = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
/// The confidential web app's secret.
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "bbh-sandbox-secret";
/// The public native app's client id.
pub const PUBLIC_CLIENT_ID: &str = "bbhPublicNativeClient0000000000000000000";
/// The guide's test client callback, registered by both default apps.
const GUIDE_REDIRECT_URI: &str = "http://localhost:8080/testclient/callback";
/// The RFC 8252 loopback callback (any port), registered by both default apps; the
/// conformance runner's app must register it.
pub const LOOPBACK_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// Every supported scope, the default of an app's `scopes`.
pub(super) fn supported_scopes() -> Vec<String> {
    SUPPORTED_SCOPES.iter().map(|s| (*s).to_owned()).collect()
}

/// The two default apps: the confidential web app, then the public native app.
pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "bbh confidential web app".into(),
            client_id: CONFIDENTIAL_CLIENT_ID.into(),
            client_secret: Some(CONFIDENTIAL_CLIENT_SECRET.into()),
            client_type: ClientType::Confidential,
            grant_types: vec![GrantType::AuthorizationCode],
            redirect_uris: vec![GUIDE_REDIRECT_URI.into(), LOOPBACK_REDIRECT_URI.into()],
            scopes: supported_scopes(),
            require_demographic_scopes: true,
            data_access_type: DataAccessType::ThirteenMonth,
            active: true,
        },
        App {
            name: "bbh public native app".into(),
            client_id: PUBLIC_CLIENT_ID.into(),
            client_secret: None,
            client_type: ClientType::Public,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::Implicit],
            redirect_uris: vec![
                GUIDE_REDIRECT_URI.into(),
                "gov.cms.bluebutton.oauthtester:/callback".into(),
                LOOPBACK_REDIRECT_URI.into(),
            ],
            scopes: supported_scopes(),
            require_demographic_scopes: true,
            data_access_type: DataAccessType::ThirteenMonth,
            active: true,
        },
    ]
}

/// Jane Doe (the guide's sample account) and BBUser20023 (the guide's 148 claims).
pub fn beneficiaries() -> Vec<BeneficiarySpec> {
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
}

/// Jane Doe logs in, shares demographics and approves.
pub fn login() -> Login {
    Login {
        username: "BBUser29999".into(),
        share_demographics: true,
        approve: true,
        probe: None,
    }
}

/// The profile's access-token lifetime; codes live 60 s.
pub fn tokens() -> Tokens {
    Tokens {
        access_ttl: None,
        code_ttl: 60,
        expire_after_calls: None,
    }
}
