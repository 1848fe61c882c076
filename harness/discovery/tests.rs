use super::*;
use crate::report::fixtures::{errors, validator};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde_json::{Value, json};

const ORIGIN: &str = "http://127.0.0.1:41234";
const PROFILES: [Profile; 2] = [Profile::Documented, Profile::Current];

fn body(response: &Response) -> Value {
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    serde_json::from_slice(&response.body).unwrap()
}

fn openid(version: ApiVersion, profile: Profile) -> Value {
    body(&openid_configuration(ORIGIN, version, profile))
}

fn smart(version: ApiVersion, profile: Profile) -> Value {
    body(&smart_configuration(ORIGIN, version, profile))
}

fn metadata(version: ApiVersion, profile: Profile) -> Value {
    body(&capability_statement(ORIGIN, version, profile))
}

#[test]
fn documents_are_at_bb2_paths_exactly() {
    use ApiVersion::{V1, V2};
    use Document::*;
    let cases = [
        (
            "/.well-known/openid-configuration",
            (OpenIdConfiguration, V1),
        ),
        (
            "/.well-known/openid-configuration-v2",
            (OpenIdConfiguration, V2),
        ),
        (
            "/v1/connect/.well-known/openid-configuration",
            (OpenIdConfiguration, V1),
        ),
        (
            "/v2/connect/.well-known/openid-configuration",
            (OpenIdConfiguration, V2),
        ),
        (
            "/v1/fhir/.well-known/smart-configuration",
            (SmartConfiguration, V1),
        ),
        (
            "/v2/fhir/.well-known/smart-configuration",
            (SmartConfiguration, V2),
        ),
        ("/v1/fhir/metadata", (CapabilityStatement, V1)),
        ("/v2/fhir/metadata", (CapabilityStatement, V2)),
    ];
    for (path, expected) in cases {
        assert_eq!(Document::at(path), Some(expected), "{path}");
    }
    for path in [
        "/v2/fhir/metadata/",
        "/v2/fhir/metadataX",
        "/v3/fhir/metadata",
        "/.well-known/smart-configuration",
        "/.well-known/openid-configuration/",
        "/.well-known/openid-configuration-v3",
        "/v2/connect/.well-known/openid-configuration/",
        "/v2/fhir/.well-known/smart-configuration/",
        "/v2/.well-known/openid-configuration",
        "/fhir/metadata",
    ] {
        assert_eq!(Document::at(path), None, "{path}");
    }
}

#[test]
fn render_answers_with_the_document_of_the_path() {
    for profile in PROFILES {
        for version in ApiVersion::ALL {
            for (document, expected) in [
                (Document::OpenIdConfiguration, openid(version, profile)),
                (Document::SmartConfiguration, smart(version, profile)),
                (Document::CapabilityStatement, metadata(version, profile)),
            ] {
                assert_eq!(body(&document.render(ORIGIN, version, profile)), expected);
            }
        }
    }
}

#[test]
fn current_openid_configuration_is_bb2s_for_every_version() {
    let expected = json!({
        "issuer": ORIGIN,
        "authorization_endpoint": format!("{ORIGIN}/v2/o/authorize"),
        "revocation_endpoint": format!("{ORIGIN}/v2/o/revoke_token"),
        "token_endpoint": format!("{ORIGIN}/v2/o/token"),
        "userinfo_endpoint": format!("{ORIGIN}/v2/connect/userinfo"),
        "ui_locales_supported": ["en-US"],
        "service_documentation": "https://bluebutton.cms.gov/developers",
        "op_tos_uri": "https://bluebutton.cms.gov/terms",
        "grant_types_supported": ["refresh_token", "authorization_code"],
        "response_types_supported": ["code", "token"],
        "fhir_metadata_uri": format!("{ORIGIN}/v2/fhir/metadata"),
    });
    for version in ApiVersion::ALL {
        let doc = openid(version, Profile::Current);
        assert_eq!(doc, expected);
        // Key order too: the bytes are BB2's.
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        let expected_keys: Vec<&String> = expected.as_object().unwrap().keys().collect();
        assert_eq!(keys, expected_keys);
    }
}

#[test]
fn documented_openid_configuration_names_the_versions_own_slash_endpoints() {
    for version in ApiVersion::ALL {
        let v = version.name();
        let expected = json!({
            "issuer": ORIGIN,
            "authorization_endpoint": format!("{ORIGIN}/{v}/o/authorize/"),
            "token_endpoint": format!("{ORIGIN}/{v}/o/token/"),
            "userinfo_endpoint": format!("{ORIGIN}/{v}/connect/userinfo"),
            "ui_locales_supported": ["en-US"],
            "service_documentation": "https://bluebutton.cms.gov/developers",
            "op_tos_uri": "https://bluebutton.cms.gov/terms",
            "grant_types_supported": ["authorization-code", "refresh_token"],
            "response_types_supported": ["code", "token"],
            "fhir_metadata_uri": format!("{ORIGIN}/{v}/fhir/metadata"),
        });
        assert_eq!(openid(version, Profile::Documented), expected, "{v}");
    }
}

#[test]
fn smart_configuration_per_profile() {
    let current = json!({
        "authorization_endpoint": format!("{ORIGIN}/v2/o/authorize"),
        "revocation_endpoint": format!("{ORIGIN}/v2/o/revoke_token"),
        "token_endpoint": format!("{ORIGIN}/v2/o/token"),
        "grant_types_supported": ["authorization_code"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": [
            "openid", "profile", "launch/patient",
            "patient/Patient.read", "patient/ExplanationOfBenefit.read", "patient/Coverage.read",
            "patient/Patient.rs", "patient/ExplanationOfBenefit.rs", "patient/Coverage.rs",
        ],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "client-confidential-symmetric", "context-standalone-patient", "launch-standalone",
            "permission-offline", "permission-patient", "permission-v1", "permission-v2",
            "authorize-post",
        ],
    });
    for version in ApiVersion::ALL {
        assert_eq!(smart(version, Profile::Current), current);
        let v = version.name();
        let documented = smart(version, Profile::Documented);
        assert_eq!(
            documented["authorization_endpoint"],
            format!("{ORIGIN}/{v}/o/authorize/")
        );
        assert_eq!(
            documented["revocation_endpoint"],
            format!("{ORIGIN}/{v}/o/revoke_token/")
        );
        assert_eq!(
            documented["token_endpoint"],
            format!("{ORIGIN}/{v}/o/token/")
        );
        for same in [
            "grant_types_supported",
            "response_types_supported",
            "scopes_supported",
            "code_challenge_methods_supported",
            "capabilities",
        ] {
            assert_eq!(documented[same], current[same], "{same}");
        }
        // No issuer, no jwks_uri, no userinfo: strict SMART clients fail on BB2 too.
        for absent in ["issuer", "jwks_uri", "userinfo_endpoint"] {
            assert!(documented.get(absent).is_none(), "{absent}");
        }
    }
}

#[test]
fn capability_statement_is_stu3_for_v1_and_r4_for_v2() {
    for profile in PROFILES {
        let v1 = metadata(ApiVersion::V1, profile);
        assert_eq!(v1["fhirVersion"], "3.0.2");
        assert_eq!(v1["acceptUnknown"], "extensions");
        assert_eq!(
            v1["rest"][0]["resource"][2]["profile"],
            json!({"reference": "http://hl7.org/fhir/Profile/Patient"})
        );
        assert_eq!(v1["implementation"]["url"], format!("{ORIGIN}/v1/fhir"));

        let v2 = metadata(ApiVersion::V2, profile);
        assert_eq!(v2["fhirVersion"], "4.0.1");
        assert!(v2.get("acceptUnknown").is_none());
        assert_eq!(
            v2["rest"][0]["resource"][2]["profile"],
            "http://hl7.org/fhir/StructureDefinition/Patient"
        );
        assert_eq!(v2["implementation"]["url"], format!("{ORIGIN}/v2/fhir"));

        for doc in [&v1, &v2] {
            assert_eq!(doc["resourceType"], "CapabilityStatement");
            assert_eq!(doc["software"]["name"], "Blue Button API: Direct");
            assert_eq!(doc["publisher"], "Centers for Medicare & Medicaid Services");
            assert_eq!(doc["kind"], "instance");
            assert_eq!(
                doc["format"],
                json!(["application/json", "application/fhir+json"])
            );
            let types: Vec<&Value> = doc["rest"][0]["resource"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| &r["type"])
                .collect();
            assert_eq!(types, ["Coverage", "ExplanationOfBenefit", "Patient"]);
            for resource in doc["rest"][0]["resource"].as_array().unwrap() {
                assert_eq!(
                    resource["interaction"],
                    json!([{"code": "read"}, {"code": "search-type"}])
                );
            }
        }
    }
}

fn search_params(doc: &Value, resource: usize) -> Vec<String> {
    doc["rest"][0]["resource"][resource]["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn capability_statement_lists_bfds_search_parameters() {
    let v2 = metadata(ApiVersion::V2, Profile::Documented);
    assert_eq!(
        search_params(&v2, 0),
        ["beneficiary", "_lastUpdated", "_profile", "startIndex"]
    );
    assert_eq!(
        search_params(&v2, 1),
        [
            "patient",
            "_lastUpdated",
            "includeTaxNumbers",
            "service-date",
            "startIndex",
            "type"
        ]
    );
    assert_eq!(
        search_params(&v2, 2),
        ["_id", "_lastUpdated", "startIndex", "identifier"]
    );
    let v1 = metadata(ApiVersion::V1, Profile::Documented);
    assert_eq!(
        search_params(&v1, 0),
        ["beneficiary", "_lastUpdated", "startIndex"]
    );
}

#[test]
fn capability_statement_security_names_the_oauth_uris_per_profile() {
    let uris = |doc: &Value| -> Vec<(String, String)> {
        let security = &doc["rest"][0]["security"];
        assert_eq!(security["cors"], true);
        assert_eq!(security["service"][0]["coding"][0]["code"], "OAuth");
        assert_eq!(security["service"][1]["coding"][0]["code"], "SMART-on-FHIR");
        let extension = &security["extension"][0];
        assert_eq!(extension["url"], capability::OAUTH_URIS);
        extension["extension"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["url"].as_str().unwrap().to_owned(),
                    e["valueUri"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pairs = |list: [(&str, String); 3]| -> Vec<(String, String)> {
        list.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    };
    for version in ApiVersion::ALL {
        assert_eq!(
            uris(&metadata(version, Profile::Current)),
            pairs([
                ("token", format!("{ORIGIN}/v2/o/token")),
                ("authorize", format!("{ORIGIN}/v2/o/authorize")),
                ("revoke", format!("{ORIGIN}/v2/o/revoke_token")),
            ])
        );
        let v = version.name();
        assert_eq!(
            uris(&metadata(version, Profile::Documented)),
            pairs([
                ("token", format!("{ORIGIN}/{v}/o/token/")),
                ("authorize", format!("{ORIGIN}/{v}/o/authorize/")),
                ("revoke", format!("{ORIGIN}/{v}/o/revoke/")),
            ])
        );
    }
}

#[test]
fn every_document_matches_its_schema_and_is_deterministic() {
    let openid_schema = validator("openid-configuration.schema.json");
    let smart_schema = validator("smart-configuration.schema.json");
    let capability_schema = validator("capability-statement.schema.json");
    for profile in PROFILES {
        for version in ApiVersion::ALL {
            for origin in [ORIGIN, "https://sandbox.example:8443", "http://localhost"] {
                let docs = [
                    (
                        &openid_schema,
                        openid_configuration(origin, version, profile),
                    ),
                    (&smart_schema, smart_configuration(origin, version, profile)),
                    (
                        &capability_schema,
                        capability_statement(origin, version, profile),
                    ),
                ];
                for (schema, response) in docs {
                    let doc = body(&response);
                    assert_eq!(errors(schema, &doc), Vec::<String>::new(), "{doc:#}");
                }
            }
            assert_eq!(
                capability_statement(ORIGIN, version, profile).body,
                capability_statement(ORIGIN, version, profile).body
            );
        }
    }
}

#[test]
fn schemas_tell_the_profiles_and_versions_apart() {
    let openid_schema = validator("openid-configuration.schema.json");
    let mut documented = openid(ApiVersion::V2, Profile::Documented);
    documented["revocation_endpoint"] = json!(format!("{ORIGIN}/v2/o/revoke_token"));
    assert!(!errors(&openid_schema, &documented).is_empty());
    let mut current = openid(ApiVersion::V1, Profile::Current);
    current["token_endpoint"] = json!(format!("{ORIGIN}/v2/o/token/"));
    assert!(!errors(&openid_schema, &current).is_empty());
    let mut mixed = openid(ApiVersion::V1, Profile::Current);
    mixed["grant_types_supported"] = json!(["authorization-code", "refresh_token"]);
    assert!(!errors(&openid_schema, &mixed).is_empty());

    let smart_schema = validator("smart-configuration.schema.json");
    let mut smart_doc = smart(ApiVersion::V2, Profile::Current);
    smart_doc["issuer"] = json!(ORIGIN);
    assert!(!errors(&smart_schema, &smart_doc).is_empty());
    let mut half = smart(ApiVersion::V2, Profile::Current);
    half["token_endpoint"] = json!(format!("{ORIGIN}/v2/o/token/"));
    assert!(!errors(&smart_schema, &half).is_empty());

    let capability_schema = validator("capability-statement.schema.json");
    let mut r4 = metadata(ApiVersion::V2, Profile::Current);
    r4["acceptUnknown"] = json!("extensions");
    assert!(!errors(&capability_schema, &r4).is_empty());
    let mut stu3 = metadata(ApiVersion::V1, Profile::Current);
    stu3["rest"][0]["resource"][0]["profile"] =
        json!("http://hl7.org/fhir/StructureDefinition/Coverage");
    assert!(!errors(&capability_schema, &stu3).is_empty());
    let mut operations = metadata(ApiVersion::V2, Profile::Current);
    operations["rest"][0]["operation"] = json!([{"name": "everything"}]);
    assert!(!errors(&capability_schema, &operations).is_empty());
}
