//! Policy variables (`${aws:username}`), substituted in Resource strings and condition values of
//! `2012-10-17` documents only; in `2008-10-17` documents `${…}` is ordinary text.
//!
//! Syntax: `${key}` takes the single value of the condition key `key` (case-insensitive);
//! `${key, 'default'}` falls back to the quoted text (`''` inside it is one quote) when the key
//! is absent or multivalued; `${*}`, `${?}` and `${$}` are a literal `*`, `?` and `$`. A
//! variable that resolves to nothing makes the element containing it not match. A substituted
//! value is always literal text: a `*` in a user name is not a wildcard. A malformed `${` is
//! kept as text.

use std::borrow::Cow;

use crate::glob::{self, OwnedPiece, Pattern, Piece};

/// Resolves a variable's key to its single value in the current request.
pub(crate) trait VarSource<'a> {
    /// The value of `key` (lowercase) when the request has exactly one.
    fn single(&self, key: &str) -> Option<&'a str>;
}

/// A `${key}` or `${key, 'default'}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarRef {
    key: Box<str>,
    default: Option<Box<str>>,
}

impl VarRef {
    fn resolve<'a>(&'a self, src: &impl VarSource<'a>) -> Option<&'a str> {
        src.single(&self.key).or(self.default.as_deref())
    }

    #[cfg(test)]
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

/// A piece of template text before it is given a meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Raw<'s> {
    /// Policy text as written (wildcards keep their meaning where the element has them).
    Text(&'s str),
    /// An escape: always literal, even where `*`/`?` are wildcards.
    Literal(&'static str),
    /// A variable.
    Var(VarRef),
}

/// Splits `text` into raw parts; with `variables` false the whole text is one part.
pub(crate) fn split(text: &str, variables: bool) -> Vec<Raw<'_>> {
    let mut out = Vec::new();
    if !variables {
        out.push(Raw::Text(text));
        return out;
    }
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        if pos > 0 {
            out.push(Raw::Text(&rest[..pos]));
        }
        let after = &rest[pos + 2..];
        match parse_variable(after) {
            Some((raw, used)) => {
                out.push(raw);
                rest = after.get(used..).unwrap_or("");
            }
            None => {
                out.push(Raw::Text("${"));
                rest = after;
            }
        }
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(Raw::Text(rest));
    }
    out
}

/// Parses what follows `${`; returns the part and the bytes used (including the `}`).
fn parse_variable(s: &str) -> Option<(Raw<'static>, usize)> {
    let key_end = s.find([',', '}'])?;
    let key = s[..key_end].trim();
    let after_key = &s[key_end..];
    if after_key.starts_with('}') {
        let used = key_end + 1;
        let raw = match key {
            "*" => Raw::Literal("*"),
            "?" => Raw::Literal("?"),
            "$" => Raw::Literal("$"),
            _ if valid_key(key) => Raw::Var(VarRef {
                key: key.to_ascii_lowercase().into(),
                default: None,
            }),
            _ => return None,
        };
        return Some((raw, used));
    }
    // `, 'default'}`
    if !valid_key(key) {
        return None;
    }
    let after_comma = &after_key[1..];
    let trimmed = after_comma.trim_start();
    let mut offset = key_end + 1 + (after_comma.len() - trimmed.len());
    let quoted = trimmed.strip_prefix('\'')?;
    offset += 1;
    let mut default = String::new();
    let mut chars = quoted.char_indices().peekable();
    let close = loop {
        let (i, c) = chars.next()?;
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                default.push('\'');
                continue;
            }
            break i;
        }
        default.push(c);
    };
    offset += close + 1;
    let tail = &quoted[close + 1..];
    let tail_trimmed = tail.trim_start();
    offset += tail.len() - tail_trimmed.len();
    if !tail_trimmed.starts_with('}') {
        return None;
    }
    offset += 1;
    Some((
        Raw::Var(VarRef {
            key: key.to_ascii_lowercase().into(),
            default: Some(default.into()),
        }),
        offset,
    ))
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key
            .chars()
            .any(|c| c.is_whitespace() || c == '$' || c == '{')
}

/// Text compared verbatim (string operators other than `Like`, typed condition values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    parts: Vec<TextPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TextPart {
    Lit(Box<str>),
    Var(VarRef),
}

impl Text {
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        let mut parts: Vec<TextPart> = Vec::new();
        for raw in split(text, variables) {
            match raw {
                Raw::Text(t) => push_text(&mut parts, t),
                Raw::Literal(t) => push_text(&mut parts, t),
                Raw::Var(v) => parts.push(TextPart::Var(v)),
            }
        }
        Self { parts }
    }

    /// The text when it has no variables.
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [TextPart::Lit(s)] => Some(s),
            _ => None,
        }
    }

    pub(crate) fn has_variables(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, TextPart::Var(_)))
    }

    /// Whether every variable resolves in this request.
    pub(crate) fn resolves<'a>(&'a self, src: &impl VarSource<'a>) -> bool {
        self.parts.iter().all(|p| match p {
            TextPart::Lit(_) => true,
            TextPart::Var(v) => v.resolve(src).is_some(),
        })
    }

    /// Substitutes the variables; `None` when one does not resolve.
    pub(crate) fn resolve<'a>(&'a self, src: &impl VarSource<'a>) -> Option<Cow<'a, str>> {
        if let Some(lit) = self.as_literal() {
            return Some(Cow::Borrowed(lit));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TextPart::Lit(s) => out.push_str(s),
                TextPart::Var(v) => out.push_str(v.resolve(src)?),
            }
        }
        Some(Cow::Owned(out))
    }
}

fn push_text(parts: &mut Vec<TextPart>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(TextPart::Lit(prev)) = parts.last_mut() {
        *prev = format!("{prev}{text}").into_boxed_str();
    } else {
        parts.push(TextPart::Lit(text.into()));
    }
}

/// A wildcard pattern that may contain variables (Resource segments, `StringLike`, `ArnLike`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// No variables: compiled once.
    Static(Pattern),
    /// Variables are substituted (as literal text) per request.
    Dynamic(Vec<DynPart>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DynPart {
    Piece(OwnedPiece),
    Var(VarRef),
}

impl Glob {
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        Self::from_raw(&split(text, variables))
    }

    pub(crate) fn from_raw(raw: &[Raw<'_>]) -> Self {
        if raw.iter().any(|r| matches!(r, Raw::Var(_))) {
            let mut parts = Vec::new();
            for r in raw {
                match r {
                    Raw::Text(t) => {
                        let mut pieces = Vec::new();
                        glob::push_wildcard_text(&mut pieces, t);
                        parts.extend(pieces.into_iter().map(DynPart::Piece));
                    }
                    Raw::Literal(t) => parts.push(DynPart::Piece(OwnedPiece::Lit((*t).into()))),
                    Raw::Var(v) => parts.push(DynPart::Var(v.clone())),
                }
            }
            Self::Dynamic(parts)
        } else {
            let mut pieces = Vec::new();
            for r in raw {
                match r {
                    Raw::Text(t) => glob::push_wildcard_text(&mut pieces, t),
                    Raw::Literal(t) => glob::push_literal(&mut pieces, t),
                    Raw::Var(_) => {}
                }
            }
            Self::Static(Pattern::from_pieces(pieces))
        }
    }

    /// Whether `input` matches; `None` when a variable does not resolve.
    pub(crate) fn matches<'a>(
        &'a self,
        input: &str,
        fold_ascii: bool,
        src: &impl VarSource<'a>,
    ) -> Option<bool> {
        match self {
            Self::Static(p) => Some(p.matches(input, fold_ascii)),
            Self::Dynamic(parts) => {
                let mut pieces: Vec<Piece<'a>> = Vec::with_capacity(parts.len());
                for part in parts {
                    pieces.push(match part {
                        DynPart::Piece(p) => p.piece(),
                        DynPart::Var(v) => Piece::Lit(v.resolve(src)?),
                    });
                }
                Some(glob::matches(&pieces, input, fold_ascii))
            }
        }
    }

    /// Whether the pattern has variables.
    pub(crate) fn has_variables(&self) -> bool {
        matches!(self, Self::Dynamic(_))
    }

    /// Whether every variable resolves in this request.
    pub(crate) fn resolves<'a>(&'a self, src: &impl VarSource<'a>) -> bool {
        match self {
            Self::Static(_) => true,
            Self::Dynamic(parts) => parts.iter().all(|p| match p {
                DynPart::Piece(_) => true,
                DynPart::Var(v) => v.resolve(src).is_some(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Src(HashMap<&'static str, &'static str>);

    impl<'a> VarSource<'a> for Src {
        fn single(&self, key: &str) -> Option<&'a str> {
            self.0.get(key).copied()
        }
    }

    fn src() -> Src {
        Src(HashMap::from([
            ("aws:username", "alice"),
            ("aws:userid", "AIDA1"),
        ]))
    }

    #[test]
    fn splits_variables_and_escapes() {
        let raw = split("home/${aws:username}/${*}${?}${$}x", true);
        assert_eq!(raw.len(), 7);
        assert_eq!(raw[0], Raw::Text("home/"));
        let Raw::Var(v) = &raw[1] else { panic!() };
        assert_eq!(v.key(), "aws:username");
        assert_eq!(raw[2], Raw::Text("/"));
        assert_eq!(raw[3], Raw::Literal("*"));
        assert_eq!(raw[4], Raw::Literal("?"));
        assert_eq!(raw[5], Raw::Literal("$"));
        assert_eq!(raw[6], Raw::Text("x"));
    }

    #[test]
    fn variable_keys_are_case_insensitive() {
        let t = Text::new("${AWS:UserName}", true);
        assert_eq!(t.resolve(&src()).unwrap(), "alice");
    }

    #[test]
    fn without_variables_everything_is_text() {
        assert_eq!(
            split("${aws:username}", false),
            vec![Raw::Text("${aws:username}")]
        );
        let t = Text::new("${aws:username}", false);
        assert_eq!(t.as_literal(), Some("${aws:username}"));
    }

    #[test]
    fn defaults() {
        let t = Text::new("team-${aws:PrincipalTag/team, 'none'}", true);
        assert_eq!(t.resolve(&src()).unwrap(), "team-none");
        let t = Text::new("${aws:username , 'x'}", true);
        assert_eq!(t.resolve(&src()).unwrap(), "alice");
        let t = Text::new("${missing,'it''s'}!", true);
        assert_eq!(t.resolve(&src()).unwrap(), "it's!");
        let t = Text::new("${missing, ''}", true);
        assert_eq!(t.resolve(&src()).unwrap(), "");
    }

    #[test]
    fn unresolved_variable_is_none() {
        let t = Text::new("a-${aws:PrincipalTag/team}", true);
        assert!(t.has_variables());
        assert_eq!(t.resolve(&src()), None);
    }

    #[test]
    fn malformed_variables_stay_text() {
        for s in [
            "${",
            "${aws:username",
            "${}",
            "${a b}",
            "${x, 'unterminated}",
            "${x, y}",
        ] {
            let t = Text::new(s, true);
            assert_eq!(t.as_literal(), Some(s), "{s}");
        }
        assert_eq!(
            Text::new("${${aws:username}", true)
                .resolve(&src())
                .unwrap(),
            "${alice"
        );
    }

    #[test]
    fn substituted_values_are_literal_in_globs() {
        let s = Src(HashMap::from([("aws:username", "a*")]));
        let g = Glob::new("arn:home/${aws:username}", true);
        assert!(g.has_variables());
        assert_eq!(g.matches("arn:home/a*", false, &s), Some(true));
        assert_eq!(g.matches("arn:home/abc", false, &s), Some(false));
        // Escapes are literal too; plain text keeps wildcards.
        let g = Glob::new("x${*}*", true);
        assert_eq!(g.matches("x*anything", false, &s), Some(true));
        assert_eq!(g.matches("xyz", false, &s), Some(false));
    }

    #[test]
    fn glob_with_unresolved_variable() {
        let g = Glob::new("home/${aws:PrincipalTag/x}/*", true);
        assert_eq!(g.matches("home/a/b", false, &src()), None);
        assert!(!g.resolves(&src()));
        assert!(Glob::new("home/${aws:username}/*", true).resolves(&src()));
        assert!(Glob::new("home/*", true).resolves(&src()));
        assert!(!Text::new("${aws:PrincipalTag/x}", true).resolves(&src()));
        assert!(Text::new("${aws:username}", true).resolves(&src()));
    }

    #[test]
    fn escaped_star_is_not_a_wildcard() {
        let g = Glob::new("${*}", true);
        assert_eq!(g.matches("*", false, &src()), Some(true));
        assert_eq!(g.matches("x", false, &src()), Some(false));
        assert_eq!(Glob::new("*", true).matches("x", false, &src()), Some(true));
    }
}
