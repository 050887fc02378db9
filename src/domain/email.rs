//! Email addresses.

/// A syntactically valid email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address; the error is an i18n key.
    pub fn parse(s: &str) -> Result<Email, &'static str> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && domain.contains('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                    && !local
                        .chars()
                        .any(|c| c.is_whitespace() || c == '@' || c == '<' || c == '>')
            });
        if valid {
            Ok(Email(s))
        } else {
            Err("users.error.email")
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Wang.Fang@Example.CN ").unwrap().as_str(),
            "wang.fang@example.cn"
        );
        assert_eq!(
            Email::parse("张伟@公司.中国").unwrap().as_str(),
            "张伟@公司.中国"
        );
        for bad in ["", "no-at", "a@b", "a@.cn", "a b@x.cn", "a@x..cn", "@x.cn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
