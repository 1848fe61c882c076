//! The ExplanationOfBenefit `type` search parameter (guide "Query by Type"; `documented`):
//! a comma list of lower-case codes, each optionally prefixed with the `eob-type` system;
//! the bare system with `|` means every type. Anything else is invalid.

use crate::claim_type::ClaimType;

/// The `eob-type` code system.
pub const EOB_TYPE_SYSTEM: &str = "https://bluebutton.cms.gov/resources/codesystem/eob-type";

/// The value was not a valid `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidType;

/// The types a `type` value selects, in [`ClaimType`] order without repeats.
pub fn parse(value: &str) -> Result<Vec<ClaimType>, InvalidType> {
    let mut selected = Vec::new();
    for element in value.split(',') {
        let code = match element.split_once('|') {
            Some((EOB_TYPE_SYSTEM, "")) => {
                selected.extend(ClaimType::ALL);
                continue;
            }
            Some((EOB_TYPE_SYSTEM, code)) => code,
            Some(_) => return Err(InvalidType),
            None => element,
        };
        selected.push(ClaimType::from_code(code).ok_or(InvalidType)?);
    }
    selected.sort();
    selected.dedup();
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn guide_examples() {
        assert_eq!(parse("pde"), Ok(vec![ClaimType::Pde]));
        assert_eq!(
            parse("carrier,dme,hha,hospice,inpatient,outpatient,snf").map(|t| t.len()),
            Ok(7)
        );
        assert_eq!(
            parse(&format!("{EOB_TYPE_SYSTEM}|carrier")),
            Ok(vec![ClaimType::Carrier])
        );
        assert_eq!(
            parse(&format!("{EOB_TYPE_SYSTEM}|")),
            Ok(ClaimType::ALL.to_vec())
        );
    }

    #[test]
    fn invalid_forms() {
        for value in [
            "",
            "CARRIER",
            "Carrier",
            "foo",
            "carrier,",
            ",pde",
            "http://example.org|carrier",
            "carrier pde",
            "eob-type|pde",
        ] {
            assert_eq!(parse(value), Err(InvalidType), "{value:?}");
        }
    }

    fn element() -> impl Strategy<Value = (ClaimType, String)> {
        (prop::sample::select(ClaimType::ALL.to_vec()), any::<bool>()).prop_map(
            |(t, with_system)| {
                let text = if with_system {
                    format!("{EOB_TYPE_SYSTEM}|{}", t.code())
                } else {
                    t.code().to_owned()
                };
                (t, text)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn any_list_of_valid_elements_selects_their_types(elements in prop::collection::vec(element(), 1..10)) {
            let value = elements.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>().join(",");
            let mut expected: Vec<ClaimType> = elements.iter().map(|(t, _)| *t).collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(parse(&value), Ok(expected));
        }

        #[test]
        fn upper_casing_any_element_invalidates(elements in prop::collection::vec(element(), 1..6), which in any::<prop::sample::Index>()) {
            let mut texts: Vec<String> = elements.into_iter().map(|(_, text)| text).collect();
            let index = which.index(texts.len());
            let upper = texts[index].to_uppercase();
            texts[index] = upper;
            prop_assert_eq!(parse(&texts.join(",")), Err(InvalidType));
        }
    }
}
