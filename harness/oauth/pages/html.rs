//! The HTML of the login and consent pages: plain server-rendered forms, no external assets,
//! inline CSS only, labelled fields, landmarks and headings. Everything echoed is escaped.

use crate::oauth::errors::escape;
use std::fmt::Write;

/// The message the login page shows after a wrong username or password.
pub const LOGIN_ERROR: &str = "The username or password you entered is incorrect.";

/// The sandbox accounts hint of the login page.
const SANDBOX_HINT: &str = "Synthetic beneficiaries BBUser00000 to BBUser29999 can log in; the \
     password is PW, the five digits and ! (for example BBUser29999 with PW29999!).";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;line-height:1.5}\
header,main{max-width:36rem;margin:0 auto;padding:1rem}header{border-bottom:1px solid #ccc}\
label{display:block;font-weight:600}input[type=text],input[type=password]{font-size:1rem;\
padding:.4rem;width:100%;box-sizing:border-box}fieldset{margin:1rem 0}fieldset label{display:inline;\
font-weight:400}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}\
.error{border-left:4px solid #b50909;padding:.5rem 1rem;background:#f4e3db}";

/// What the login page shows.
pub struct LoginPage<'a> {
    /// The authorize URL (path and query) to go back to after logging in.
    pub next: &'a str,
    /// The username the field starts with.
    pub username: &'a str,
    /// Whether the last attempt failed.
    pub failed: bool,
    /// Logins the scenario defines, listed as a hint.
    pub accounts: &'a [&'a str],
}

/// The fake Medicare.gov login page.
pub fn login(page: &LoginPage<'_>) -> String {
    let mut main = String::from("<h1>Log in to Medicare.gov</h1>\n");
    let described = if page.failed {
        let _ = writeln!(
            main,
            "<div class=\"error\" role=\"alert\" id=\"login-error\"><p>{}</p></div>",
            escape(LOGIN_ERROR)
        );
        " aria-describedby=\"login-error\" aria-invalid=\"true\""
    } else {
        ""
    };
    let _ = write!(
        main,
        "<p>The application you are using asks you to log in to Medicare to share your data \
         with it.</p>\n\
         <form method=\"post\" action=\"/mymedicare/login\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <p><label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{username}\" \
         autocomplete=\"username\" required{described}></p>\n\
         <p><label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required{described}></p>\n\
         <p><button type=\"submit\">Log in</button></p>\n</form>\n\
         <section aria-labelledby=\"accounts\"><h2 id=\"accounts\">Sandbox accounts</h2>\
         <p>{hint}</p>",
        next = escape(page.next),
        username = escape(page.username),
        hint = escape(SANDBOX_HINT),
    );
    if !page.accounts.is_empty() {
        main.push_str("<p>This scenario's beneficiaries:</p><ul>");
        for account in page.accounts {
            let _ = write!(main, "<li>{}</li>", escape(account));
        }
        main.push_str("</ul>");
    }
    main.push_str("</section>\n");
    layout("Log in - Medicare.gov (Blue Button sandbox)", &main)
}

/// What the consent page shows.
pub struct ConsentPage<'a> {
    /// Where the form posts (`/v2/o/authorize/<uuid>/`).
    pub action: &'a str,
    /// The app's display name.
    pub app_name: &'a str,
    /// Who is logged in.
    pub username: &'a str,
    /// What the app would get, one line each.
    pub access: &'a [&'a str],
    /// Whether the beneficiary is asked about demographics (the app requires them).
    pub ask_demographics: bool,
    /// The OAuth parameters the form carries back, as hidden fields.
    pub hidden: &'a [(&'a str, &'a str)],
}

/// The authorization screen: share or withhold demographics, then Allow or Deny (the guide's
/// "OAuth screen"; sharing everything is the default selection).
pub fn consent(page: &ConsentPage<'_>) -> String {
    let app = escape(page.app_name);
    let mut main = format!(
        "<h1>Allow {app} to access your Medicare data?</h1>\n\
         <p>You are logged in as {}.</p>\n<p>{app} asks for:</p>\n<ul>",
        escape(page.username)
    );
    for line in page.access {
        let _ = write!(main, "<li>{}</li>", escape(line));
    }
    let _ = write!(
        main,
        "</ul>\n<form method=\"post\" action=\"{}\">\n",
        escape(page.action)
    );
    for (name, value) in page.hidden {
        let _ = writeln!(
            main,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    if page.ask_demographics {
        main.push_str(
            "<fieldset><legend>Do you want to share your personal information (name, date of \
             birth, sex, address)?</legend>\n\
             <p><input type=\"radio\" id=\"share-yes\" name=\"share_demographic_scopes\" \
             value=\"True\" checked> <label for=\"share-yes\">Share healthcare data and personal \
             information</label></p>\n\
             <p><input type=\"radio\" id=\"share-no\" name=\"share_demographic_scopes\" \
             value=\"False\"> <label for=\"share-no\">Share healthcare data, but not personal \
             information</label></p>\n</fieldset>\n",
        );
    } else {
        main.push_str(
            "<input type=\"hidden\" name=\"share_demographic_scopes\" value=\"False\">\n",
        );
    }
    main.push_str(
        "<p><button type=\"submit\" name=\"allow\" value=\"True\">Allow</button>\
         <button type=\"submit\" name=\"allow\" value=\"False\">Deny</button></p>\n</form>\n\
         <p>You can change your choice later only by authorizing the application again.</p>\n",
    );
    layout(
        &format!("Allow {} access - Blue Button 2.0", page.app_name),
        &main,
    )
}

fn layout(title: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n\
         <header><p>Blue Button 2.0 sandbox (bbh, a fake server for tests)</p></header>\n\
         <main>\n{main}</main>\n</body></html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_escapes_and_labels() {
        let html = login(&LoginPage {
            next: "/v2/o/authorize/?state=\"><script>x</script>",
            username: "<b>",
            failed: true,
            accounts: &["BBUser29999", "a&b"],
        });
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<label for=\"username\">"));
        assert!(html.contains("<label for=\"password\">"));
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("<li>a&amp;b</li>"));
        assert!(html.contains("<main>"));
    }

    #[test]
    fn the_consent_page_asks_about_demographics_only_when_the_app_requires_them() {
        let page = |ask| {
            consent(&ConsentPage {
                action: "/v2/o/authorize/x/",
                app_name: "App <1>",
                username: "BBUser29999",
                access: &["Your Medicare claims"],
                ask_demographics: ask,
                hidden: &[("state", "a\"b")],
            })
        };
        let asked = page(true);
        assert!(asked.contains("App &lt;1&gt;"));
        assert!(asked.contains("value=\"a&quot;b\""));
        assert!(
            asked.contains(
                "id=\"share-yes\" name=\"share_demographic_scopes\" value=\"True\" checked"
            )
        );
        assert!(asked.contains("<legend>"));
        let not_asked = page(false);
        assert!(!not_asked.contains("<legend>"));
        assert!(not_asked.contains("name=\"share_demographic_scopes\" value=\"False\""));
    }
}
