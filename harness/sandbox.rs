//! The sandbox's synthetic logins (`BBUserNNNNN` / `PWNNNNN!`) and the patient ids they map to
//! (DESIGN "Defaults of the built-in scenario", behaviour file §7.2).

/// The login name prefix every sandbox beneficiary shares.
const LOGIN_PREFIX: &str = "BBUser";

/// A sandbox login (`BBUser00000` to `BBUser29999`), parsed: everything about it (its name,
/// password and patient id) follows from its number, so it is held as that number alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SandboxLogin {
    /// The login's five digits as a number (`BBUser20023` → 20023), below 30,000.
    number: u16,
}

impl SandboxLogin {
    /// The sandbox login `username` is, or `None` when it is not one.
    pub fn parse(username: &str) -> Option<SandboxLogin> {
        let digits = username.strip_prefix(LOGIN_PREFIX)?;
        if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u16 = digits.parse().ok()?;
        (number < 30_000).then_some(SandboxLogin { number })
    }

    /// The login name (`BBUser20023`).
    pub fn username(self) -> String {
        format!("{LOGIN_PREFIX}{:05}", self.number)
    }

    /// The login's password (`BBUser20023` → `PW20023!`).
    pub fn password(self) -> String {
        format!("PW{:05}!", self.number)
    }

    /// The patient id the login maps to: `BBUser0NNNN` → `-1999000000xxxx`, `BBUser1NNNN` →
    /// `-2000000000xxxx`, `BBUser2NNNN` → `-2014000000xxxx`, where `xxxx` is NNNN+1
    /// zero-padded (to ten digits after the block prefix, so `BBUser09999` →
    /// `-19990000010000`).
    pub fn patient_id(self) -> String {
        let block = match self.number / 10_000 {
            0 => "1999",
            1 => "2000",
            _ => "2014",
        };
        format!("-{block}{:010}", u32::from(self.number % 10_000) + 1)
    }
}

/// The patient id a sandbox login maps to (see [`SandboxLogin::patient_id`]), or `None` when
/// `username` is not one.
pub fn patient_id_for_login(username: &str) -> Option<String> {
    SandboxLogin::parse(username).map(SandboxLogin::patient_id)
}

/// The sandbox password of a sandbox login (`BBUser20023` → `PW20023!`).
pub fn password_for_login(username: &str) -> Option<String> {
    SandboxLogin::parse(username).map(SandboxLogin::password)
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
    fn a_login_is_its_number() {
        for name in ["BBUser00000", "BBUser09999", "BBUser20023", "BBUser29999"] {
            let login = SandboxLogin::parse(name);
            assert_eq!(login.map(SandboxLogin::username).as_deref(), Some(name));
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
