//! The sandbox's synthetic logins (`BBUserNNNNN` / `PWNNNNN!`) and the patient ids they map to
//! (DESIGN "Defaults of the built-in scenario", behaviour file §7.2).

/// The login name prefix every sandbox beneficiary shares.
const LOGIN_PREFIX: &str = "BBUser";

/// The digits of a sandbox login (`BBUser20023` → `"20023"`), if `username` is one.
fn login_digits(username: &str) -> Option<&str> {
    let digits = username.strip_prefix(LOGIN_PREFIX)?;
    (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The patient id a sandbox login maps to, or `None` when `username` is not one.
///
/// `BBUser0NNNN` → `-1999000000xxxx`, `BBUser1NNNN` → `-2000000000xxxx`,
/// `BBUser2NNNN` → `-2014000000xxxx`, where `xxxx` is NNNN+1 zero-padded (to ten digits
/// after the block prefix, so `BBUser09999` → `-19990000010000`).
pub fn patient_id_for_login(username: &str) -> Option<String> {
    let digits = login_digits(username)?;
    let block = match &digits[..1] {
        "0" => "1999",
        "1" => "2000",
        "2" => "2014",
        _ => return None,
    };
    let number: u32 = digits[1..].parse().ok()?;
    Some(format!("-{block}{:010}", number + 1))
}

/// The sandbox password of a sandbox login (`BBUser20023` → `PW20023!`).
pub fn password_for_login(username: &str) -> Option<String> {
    login_digits(username).map(|digits| format!("PW{digits}!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_documented_examples() {
        assert_eq!(
            patient_id_for_login("BBUser00000").as_deref(),
            Some("-19990000000001")
        );
        assert_eq!(
            patient_id_for_login("BBUser09338").as_deref(),
            Some("-19990000009339")
        );
        assert_eq!(
            patient_id_for_login("BBUser10000").as_deref(),
            Some("-20000000000001")
        );
        assert_eq!(
            patient_id_for_login("BBUser29999").as_deref(),
            Some("-20140000010000")
        );
        assert_eq!(
            patient_id_for_login("BBUser20023").as_deref(),
            Some("-20140000000024")
        );
        assert_eq!(
            patient_id_for_login("BBUser28324").as_deref(),
            Some("-20140000008325")
        );
    }

    #[test]
    fn rejects_other_names() {
        for name in [
            "BBUser3000",
            "BBUser30000",
            "bbuser00000",
            "BBUser0000a",
            "BBUser000000",
            "Jane",
        ] {
            assert_eq!(patient_id_for_login(name), None, "{name}");
        }
    }

    #[test]
    fn passwords() {
        assert_eq!(
            password_for_login("BBUser29999").as_deref(),
            Some("PW29999!")
        );
        assert_eq!(password_for_login("Jane"), None);
    }
}
