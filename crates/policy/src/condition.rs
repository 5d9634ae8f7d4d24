//! The `Condition` element: operators, their values, and how they test a request.
//!
//! `"Condition": {operator: {key: value | [values]}}`. Every operator block must hold, every
//! key in a block must hold, and a key holds when any of its values matches (negated operators:
//! when none does). Operator names are case-insensitive; key names are too.
//!
//! * A key the request lacks: positive operators fail, negated ones (`StringNotEquals`,
//!   `NotIpAddress`, `ArnNotLike`, …) hold, any `…IfExists` operator holds.
//! * `ForAnyValue:` — some request value matches (negated: some request value matches none of
//!   the policy values); an absent key fails (holds with `IfExists`).
//! * `ForAllValues:` — every request value matches (negated: no request value matches any
//!   policy value); an absent key holds.
//! * Without a set prefix a multivalued key is read as "any request value".
//! * `Null`: `true` holds when the key is absent, `false` when present.
//! * A condition whose value has a policy variable that does not resolve fails.
//! * A request value that does not parse for the operator (a date that is not a date) matches
//!   no policy value.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;

use crate::PolicyError;
use crate::arn::ArnPattern;
use crate::base64;
use crate::cidr::Cidr;
use crate::context::ContextValues;
use crate::date::Instant;
use crate::json::Json;
use crate::number::Number;
use crate::variables::{Glob, Text, VarSource};

/// Where conditions read condition keys and resolve variables.
pub(crate) trait KeySource<'a>: VarSource<'a> {
    /// The non-empty values of `key` (lowercase), or `None` when the request lacks it.
    fn values(&self, key: &str) -> Option<ContextValues<'a>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    /// `request <op> policy`, given the ordering of request against policy.
    fn holds(self, ordering: Option<Ordering>) -> bool {
        let Some(o) = ordering else { return false };
        match self {
            Self::Equal => o == Ordering::Equal,
            Self::Less => o == Ordering::Less,
            Self::LessOrEqual => o != Ordering::Greater,
            Self::Greater => o == Ordering::Greater,
            Self::GreaterOrEqual => o != Ordering::Less,
        }
    }
}

/// The operator family, before its values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String { ignore_case: bool },
    Like,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// The base operator (no prefix or suffix), lowercase: its family and whether it is negated.
fn base_operator(name: &str) -> Option<(Family, bool)> {
    use Comparison as C;
    use Family as F;
    Some(match name {
        "stringequals" => (F::String { ignore_case: false }, false),
        "stringnotequals" => (F::String { ignore_case: false }, true),
        "stringequalsignorecase" => (F::String { ignore_case: true }, false),
        "stringnotequalsignorecase" => (F::String { ignore_case: true }, true),
        "stringlike" => (F::Like, false),
        "stringnotlike" => (F::Like, true),
        "numericequals" => (F::Numeric(C::Equal), false),
        "numericnotequals" => (F::Numeric(C::Equal), true),
        "numericlessthan" => (F::Numeric(C::Less), false),
        "numericlessthanequals" => (F::Numeric(C::LessOrEqual), false),
        "numericgreaterthan" => (F::Numeric(C::Greater), false),
        "numericgreaterthanequals" => (F::Numeric(C::GreaterOrEqual), false),
        "dateequals" => (F::Date(C::Equal), false),
        "datenotequals" => (F::Date(C::Equal), true),
        "datelessthan" => (F::Date(C::Less), false),
        "datelessthanequals" => (F::Date(C::LessOrEqual), false),
        "dategreaterthan" => (F::Date(C::Greater), false),
        "dategreaterthanequals" => (F::Date(C::GreaterOrEqual), false),
        "bool" => (F::Bool, false),
        "binaryequals" => (F::Binary, false),
        "ipaddress" => (F::Ip, false),
        "notipaddress" => (F::Ip, true),
        "arnequals" | "arnlike" => (F::Arn, false),
        "arnnotequals" | "arnnotlike" => (F::Arn, true),
        "null" => (F::Null, false),
        _ => return None,
    })
}

/// A typed policy value: parsed at parse time, or (with variables) per request.
#[derive(Debug, Clone, PartialEq)]
enum Typed<T> {
    Ready(T),
    Late(Text),
}

impl<T: Clone> Typed<T> {
    fn parse(
        text: &str,
        variables: bool,
        operator: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Self, PolicyError> {
        let template = Text::new(text, variables);
        match template.as_literal() {
            Some(literal) => parse(literal)
                .map(Self::Ready)
                .ok_or_else(|| PolicyError::invalid_condition_value(operator, text)),
            None => Ok(Self::Late(template)),
        }
    }

    fn get<'a>(
        &'a self,
        src: &impl VarSource<'a>,
        parse: fn(&str) -> Option<T>,
    ) -> Option<Cow<'a, T>> {
        match self {
            Self::Ready(v) => Some(Cow::Borrowed(v)),
            Self::Late(t) => t.resolve(src).and_then(|s| parse(&s)).map(Cow::Owned),
        }
    }

    fn resolves<'a>(&'a self, src: &impl VarSource<'a>) -> bool {
        match self {
            Self::Ready(_) => true,
            Self::Late(t) => t.resolves(src),
        }
    }
}

/// The policy values of one condition, typed by operator family.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    String {
        ignore_case: bool,
        values: Vec<Text>,
    },
    Like(Vec<Glob>),
    Numeric(Comparison, Vec<Typed<Number>>),
    Date(Comparison, Vec<Typed<Instant>>),
    Bool(Vec<Typed<bool>>),
    Binary(Vec<Typed<Vec<u8>>>),
    Ip(Vec<Typed<Cidr>>),
    Arn(Vec<ArnPattern>),
    /// `true`: the key must be absent; `false`: present.
    Null(Vec<bool>),
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// One operator–key pair with its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    key: Box<str>,
    set: Option<SetOperator>,
    if_exists: bool,
    negated: bool,
    has_variables: bool,
    values: Values,
}

/// Parses a `Condition` element; `variables` enables policy variables in values.
pub(crate) fn parse_block(value: &Json, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = value else {
        return Err(PolicyError::syntax());
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let (set, if_exists, family, negated) = parse_operator(operator)?;
        let Json::Object(keys) = keys else {
            return Err(PolicyError::syntax());
        };
        for (key, raw) in keys {
            match key.split_once(':') {
                Some((vendor, name)) if !vendor.is_empty() && !name.is_empty() => {}
                _ => return Err(PolicyError::no_vendor()),
            }
            let texts = value_texts(raw)?;
            let values = parse_values(family, operator, &texts, variables)?;
            let has_variables = match &values {
                Values::String { values, .. } => values.iter().any(Text::has_variables),
                Values::Like(v) => v.iter().any(Glob::has_variables),
                Values::Arn(v) => v.iter().any(ArnPattern::has_variables),
                Values::Numeric(_, v) => v.iter().any(|t| matches!(t, Typed::Late(_))),
                Values::Date(_, v) => v.iter().any(|t| matches!(t, Typed::Late(_))),
                Values::Bool(v) => v.iter().any(|t| matches!(t, Typed::Late(_))),
                Values::Binary(v) => v.iter().any(|t| matches!(t, Typed::Late(_))),
                Values::Ip(v) => v.iter().any(|t| matches!(t, Typed::Late(_))),
                Values::Null(_) => false,
            };
            out.push(Condition {
                key: key.to_ascii_lowercase().into(),
                set,
                if_exists,
                negated,
                has_variables,
                values,
            });
        }
    }
    Ok(out)
}

type ParsedOperator = (Option<SetOperator>, bool, Family, bool);

fn parse_operator(operator: &str) -> Result<ParsedOperator, PolicyError> {
    let invalid = || PolicyError::invalid_condition_type(operator);
    let lower = operator.to_ascii_lowercase();
    let (set, rest) = if let Some(rest) = lower.strip_prefix("forallvalues:") {
        (Some(SetOperator::ForAllValues), rest)
    } else if let Some(rest) = lower.strip_prefix("foranyvalue:") {
        (Some(SetOperator::ForAnyValue), rest)
    } else {
        (None, lower.as_str())
    };
    let (if_exists, base) = match rest.strip_suffix("ifexists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    let (family, negated) = base_operator(base).ok_or_else(invalid)?;
    if family == Family::Null && (if_exists || set.is_some()) {
        return Err(invalid());
    }
    Ok((set, if_exists, family, negated))
}

/// A key's value as strings: a string, number or boolean, or a list of them.
fn value_texts(value: &Json) -> Result<Vec<&str>, PolicyError> {
    fn scalar(value: &Json) -> Result<&str, PolicyError> {
        match value {
            Json::String(s) | Json::Number(s) => Ok(s),
            Json::Bool(true) => Ok("true"),
            Json::Bool(false) => Ok("false"),
            _ => Err(PolicyError::syntax()),
        }
    }
    match value {
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn parse_values(
    family: Family,
    operator: &str,
    texts: &[&str],
    variables: bool,
) -> Result<Values, PolicyError> {
    fn typed<T: Clone>(
        texts: &[&str],
        variables: bool,
        operator: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Vec<Typed<T>>, PolicyError> {
        texts
            .iter()
            .map(|t| Typed::parse(t, variables, operator, parse))
            .collect()
    }
    Ok(match family {
        Family::String { ignore_case } => Values::String {
            ignore_case,
            values: texts.iter().map(|t| Text::new(t, variables)).collect(),
        },
        Family::Like => Values::Like(texts.iter().map(|t| Glob::new(t, variables)).collect()),
        Family::Numeric(c) => Values::Numeric(c, typed(texts, variables, operator, Number::parse)?),
        Family::Date(c) => Values::Date(c, typed(texts, variables, operator, Instant::parse)?),
        Family::Bool => Values::Bool(typed(texts, variables, operator, parse_bool)?),
        Family::Binary => Values::Binary(typed(texts, variables, operator, base64::decode)?),
        Family::Ip => Values::Ip(typed(texts, variables, operator, Cidr::parse)?),
        Family::Arn => Values::Arn(
            texts
                .iter()
                .map(|t| ArnPattern::new(t, variables))
                .collect(),
        ),
        Family::Null => Values::Null(
            texts
                .iter()
                .map(|t| {
                    parse_bool(t).ok_or_else(|| PolicyError::invalid_condition_value(operator, t))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl Condition {
    /// Whether the condition holds for the request behind `src`.
    pub(crate) fn holds<'a>(&'a self, src: &impl KeySource<'a>) -> bool {
        let present = src.values(&self.key).filter(|v| !v.is_empty());
        if let Values::Null(expect) = &self.values {
            let absent = present.is_none();
            return expect.contains(&absent);
        }
        let Some(request) = present else {
            return match self.set {
                Some(SetOperator::ForAllValues) => true,
                Some(SetOperator::ForAnyValue) => self.if_exists,
                None => self.if_exists || self.negated,
            };
        };
        if self.has_variables && !self.resolves(src) {
            return false;
        }
        match self.set {
            None => request.iter().any(|r| self.any_value_matches(r, src)) != self.negated,
            Some(SetOperator::ForAnyValue) => request
                .iter()
                .any(|r| self.any_value_matches(r, src) != self.negated),
            Some(SetOperator::ForAllValues) => request
                .iter()
                .all(|r| self.any_value_matches(r, src) != self.negated),
        }
    }

    fn resolves<'a>(&'a self, src: &impl VarSource<'a>) -> bool {
        match &self.values {
            Values::String { values, .. } => values.iter().all(|t| t.resolves(src)),
            Values::Like(v) => v.iter().all(|g| g.resolves(src)),
            Values::Arn(v) => v.iter().all(|a| a.resolves(src)),
            Values::Numeric(_, v) => v.iter().all(|t| t.resolves(src)),
            Values::Date(_, v) => v.iter().all(|t| t.resolves(src)),
            Values::Bool(v) => v.iter().all(|t| t.resolves(src)),
            Values::Binary(v) => v.iter().all(|t| t.resolves(src)),
            Values::Ip(v) => v.iter().all(|t| t.resolves(src)),
            Values::Null(_) => true,
        }
    }

    /// Whether the request value `r` matches any policy value (the positive operator).
    fn any_value_matches<'a>(&'a self, r: &str, src: &impl VarSource<'a>) -> bool {
        match &self.values {
            Values::String {
                ignore_case,
                values,
            } => values.iter().any(|t| {
                t.resolve(src).is_some_and(|p| {
                    if *ignore_case {
                        eq_ignore_case(r, &p)
                    } else {
                        r == p
                    }
                })
            }),
            Values::Like(globs) => globs.iter().any(|g| g.matches(r, false, src) == Some(true)),
            Values::Arn(patterns) => patterns.iter().any(|a| a.matches(r, src) == Some(true)),
            Values::Numeric(cmp, values) => Number::parse(r).is_some_and(|rn| {
                values.iter().any(|v| {
                    v.get(src, Number::parse)
                        .is_some_and(|pn| cmp.holds(rn.compare(*pn)))
                })
            }),
            Values::Date(cmp, values) => Instant::parse(r).is_some_and(|rd| {
                values.iter().any(|v| {
                    v.get(src, Instant::parse)
                        .is_some_and(|pd| cmp.holds(Some(rd.cmp(&pd))))
                })
            }),
            Values::Bool(values) => parse_bool(r).is_some_and(|rb| {
                values
                    .iter()
                    .any(|v| v.get(src, parse_bool).is_some_and(|pb| *pb == rb))
            }),
            Values::Binary(values) => base64::decode(r).is_some_and(|rb| {
                values
                    .iter()
                    .any(|v| v.get(src, base64::decode).is_some_and(|pb| *pb == rb))
            }),
            Values::Ip(values) => r.parse::<IpAddr>().is_ok_and(|ip| {
                values
                    .iter()
                    .any(|v| v.get(src, Cidr::parse).is_some_and(|c| c.contains(ip)))
            }),
            Values::Null(_) => false,
        }
    }
}

/// Case-insensitive comparison over full Unicode lowercase mappings, without allocating.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii())
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Ctx(HashMap<String, Vec<String>>);

    impl Ctx {
        fn with(mut self, key: &str, values: &[&str]) -> Self {
            self.0.insert(
                key.to_ascii_lowercase(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            );
            self
        }
    }

    impl<'a> VarSource<'a> for &'a Ctx {
        fn single(&self, key: &str) -> Option<&'a str> {
            match self.0.get(key).map(Vec::as_slice) {
                Some([one]) => Some(one),
                _ => None,
            }
        }
    }

    impl<'a> KeySource<'a> for &'a Ctx {
        fn values(&self, key: &str) -> Option<ContextValues<'a>> {
            self.0.get(key).map(|v| ContextValues::Many(v))
        }
    }

    fn conditions(text: &str) -> Vec<Condition> {
        parse_block(&json::parse(text).unwrap(), true).unwrap()
    }

    /// Whether every condition of the block holds.
    fn holds(text: &str, ctx: &Ctx) -> bool {
        conditions(text).iter().all(|c| c.holds(&ctx))
    }

    fn error(text: &str) -> String {
        parse_block(&json::parse(text).unwrap(), true)
            .unwrap_err()
            .message()
            .to_owned()
    }

    #[test]
    fn string_equals_family() {
        let ctx = Ctx::default().with("kms:EncryptionContext:purpose", &["test"]);
        assert!(holds(
            r#"{"StringEquals":{"kms:EncryptionContext:purpose":"test"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringEquals":{"KMS:ENCRYPTIONCONTEXT:PURPOSE":["prod","test"]}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"StringEquals":{"kms:EncryptionContext:purpose":"Test"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:purpose":"TEST"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"StringNotEquals":{"kms:EncryptionContext:purpose":"test"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringNotEquals":{"kms:EncryptionContext:purpose":["a","b"]}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:purpose":"TEST"}}"#,
            &ctx
        ));
    }

    #[test]
    fn ignore_case_is_unicode_aware() {
        assert!(eq_ignore_case("ÉTÉ", "été"));
        assert!(eq_ignore_case("ABC", "abc"));
        assert!(!eq_ignore_case("abc", "abd"));
        assert!(!eq_ignore_case("ab", "abc"));
    }

    #[test]
    fn absent_keys() {
        let ctx = Ctx::default();
        let k = "kms:EncryptionContext:purpose";
        assert!(!holds(
            &format!(r#"{{"StringEquals":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"StringNotEquals":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"StringEqualsIfExists":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"StringNotEqualsIfExists":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(!holds(
            &format!(r#"{{"NumericLessThan":{{"{k}":"1"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"NotIpAddress":{{"{k}":"10.0.0.0/8"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"ArnNotLike":{{"{k}":"arn:*"}}}}"#),
            &ctx
        ));
        assert!(!holds(&format!(r#"{{"ArnLike":{{"{k}":"arn:*"}}}}"#), &ctx));
        assert!(holds(
            &format!(r#"{{"ForAllValues:StringEquals":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(!holds(
            &format!(r#"{{"ForAnyValue:StringEquals":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        assert!(holds(
            &format!(r#"{{"ForAnyValue:StringEqualsIfExists":{{"{k}":"x"}}}}"#),
            &ctx
        ));
        // An empty value list is an absent key.
        let empty = Ctx::default().with(k, &[]);
        assert!(!holds(
            &format!(r#"{{"StringEquals":{{"{k}":"x"}}}}"#),
            &empty
        ));
        assert!(holds(&format!(r#"{{"Null":{{"{k}":"true"}}}}"#), &empty));
    }

    #[test]
    fn set_operators() {
        let keys = "kms:EncryptionContextKeys";
        let ctx = Ctx::default().with(keys, &["purpose", "team"]);
        let c = |op: &str, values: &str| format!(r#"{{"{op}":{{"{keys}":{values}}}}}"#);
        assert!(holds(
            &c("ForAnyValue:StringEquals", r#"["purpose"]"#),
            &ctx
        ));
        assert!(!holds(&c("ForAnyValue:StringEquals", r#"["other"]"#), &ctx));
        assert!(!holds(
            &c("ForAllValues:StringEquals", r#"["purpose"]"#),
            &ctx
        ));
        assert!(holds(
            &c("ForAllValues:StringEquals", r#"["purpose","team","x"]"#),
            &ctx
        ));
        assert!(holds(&c("ForAllValues:StringLike", r#"["p*","t*"]"#), &ctx));
        // Negated: ForAnyValue — some request value equals none of the policy values.
        assert!(holds(
            &c("ForAnyValue:StringNotEquals", r#"["purpose"]"#),
            &ctx
        ));
        assert!(!holds(
            &c("ForAnyValue:StringNotEquals", r#"["purpose","team"]"#),
            &ctx
        ));
        // ForAllValues — no request value equals any policy value.
        assert!(!holds(
            &c("ForAllValues:StringNotEquals", r#"["purpose"]"#),
            &ctx
        ));
        assert!(holds(
            &c("ForAllValues:StringNotEquals", r#"["x","y"]"#),
            &ctx
        ));
        // Without a prefix: any request value.
        assert!(holds(&c("StringEquals", r#""team""#), &ctx));
        assert!(!holds(&c("StringNotEquals", r#""team""#), &ctx));
    }

    #[test]
    fn like() {
        let ctx = Ctx::default().with("aws:PrincipalTag/project", &["alpha-1"]);
        assert!(holds(
            r#"{"StringLike":{"aws:PrincipalTag/project":"alpha-?"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringLike":{"aws:PrincipalTag/project":"*"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"StringLike":{"aws:PrincipalTag/project":"Alpha*"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringNotLike":{"aws:PrincipalTag/project":"beta*"}}"#,
            &ctx
        ));
    }

    #[test]
    fn numeric() {
        let ctx = Ctx::default().with("s3:max-keys", &["10"]);
        let k = "s3:max-keys";
        for (op, v, expect) in [
            ("NumericEquals", "10", true),
            ("NumericEquals", "10.0", true),
            ("NumericNotEquals", "10", false),
            ("NumericLessThan", "11", true),
            ("NumericLessThan", "10", false),
            ("NumericLessThanEquals", "10", true),
            ("NumericGreaterThan", "9.5", true),
            ("NumericGreaterThan", "10", false),
            ("NumericGreaterThanEquals", "10", true),
            ("NumericGreaterThanEquals", "11", false),
        ] {
            assert_eq!(
                holds(&format!(r#"{{"{op}":{{"{k}":"{v}"}}}}"#), &ctx),
                expect,
                "{op} {v}"
            );
        }
        // JSON numbers work as values.
        assert!(holds(r#"{"NumericLessThan":{"s3:max-keys":100}}"#, &ctx));
        // A request value that is not a number matches nothing.
        let bad = Ctx::default().with(k, &["ten"]);
        assert!(!holds(r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &bad));
        assert!(holds(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, &bad));
    }

    #[test]
    fn dates() {
        let ctx = Ctx::default()
            .with("aws:CurrentTime", &["2026-03-01T12:00:00Z"])
            .with("aws:EpochTime", &["1772366400"]);
        assert!(holds(
            r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-03-01"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"DateEquals":{"aws:CurrentTime":"2026-03-01T13:00:00+01:00"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"1772366400"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"DateGreaterThanEquals":{"aws:EpochTime":"2026-03-01T12:00:00Z"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"DateNotEquals":{"aws:EpochTime":1772366400}}"#,
            &ctx
        ));
    }

    #[test]
    fn bool_binary_ip_arn() {
        let ctx = Ctx::default()
            .with("aws:SecureTransport", &["true"])
            .with("aws:SourceIp", &["203.0.113.7"])
            .with(
                "aws:SourceArn",
                &["arn:aws:cloudtrail:us-east-1:111122223333:trail/t"],
            )
            .with("kms:ExampleBinary", &["Zm9v"]);
        assert!(holds(r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &ctx));
        assert!(holds(r#"{"Bool":{"aws:SecureTransport":true}}"#, &ctx));
        assert!(!holds(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, &ctx));
        assert!(holds(
            r#"{"BinaryEquals":{"kms:ExampleBinary":"Zm9v"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"BinaryEquals":{"kms:ExampleBinary":"Zm9w"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:444455556666:trail/*"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::*"}}"#,
            &ctx
        ));
    }

    #[test]
    fn null() {
        let ctx = Ctx::default().with("aws:TokenIssueTime", &["2026-01-01T00:00:00Z"]);
        assert!(holds(r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, &ctx));
        assert!(!holds(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &ctx));
        assert!(holds(r#"{"Null":{"aws:MultiFactorAuthAge":true}}"#, &ctx));
        assert!(!holds(
            r#"{"Null":{"aws:MultiFactorAuthAge":"false"}}"#,
            &ctx
        ));
    }

    #[test]
    fn blocks_and_keys_are_anded() {
        let ctx = Ctx::default()
            .with("kms:CallerAccount", &["111122223333"])
            .with("kms:ViaService", &["ec2.us-east-1.amazonaws.com"]);
        let both = r#"{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}"#;
        assert!(holds(both, &ctx));
        let second_fails = r#"{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}"#;
        assert!(!holds(second_fails, &ctx));
        let two_ops = r#"{"StringEquals":{"kms:CallerAccount":"111122223333"},"StringLike":{"kms:ViaService":"s3.*"}}"#;
        assert!(!holds(two_ops, &ctx));
    }

    #[test]
    fn variables_in_values() {
        let ctx = Ctx::default()
            .with("aws:username", &["alice"])
            .with("aws:PrincipalTag/team", &["blue"])
            .with("kms:EncryptionContext:owner", &["alice"])
            .with("kms:EncryptionContext:team", &["blue"]);
        assert!(holds(
            r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#,
            &ctx
        ));
        assert!(holds(
            r#"{"StringLike":{"kms:EncryptionContext:team":"${aws:PrincipalTag/team}*"}}"#,
            &ctx
        ));
        // An unresolvable variable fails the condition, negated or not.
        assert!(!holds(
            r#"{"StringEquals":{"kms:EncryptionContext:owner":["alice","${aws:PrincipalTag/x}"]}}"#,
            &ctx
        ));
        assert!(!holds(
            r#"{"StringNotEquals":{"kms:EncryptionContext:owner":"${aws:PrincipalTag/x}"}}"#,
            &ctx
        ));
        // …unless the key is absent, where the variable is never needed.
        assert!(holds(
            r#"{"StringNotEquals":{"kms:EncryptionContext:other":"${aws:PrincipalTag/x}"}}"#,
            &ctx
        ));
        // Typed values resolve late.
        let ctx = ctx
            .with("aws:PrincipalTag/limit", &["5"])
            .with("s3:max-keys", &["4"]);
        assert!(holds(
            r#"{"NumericLessThan":{"s3:max-keys":"${aws:PrincipalTag/limit}"}}"#,
            &ctx
        ));
    }

    #[test]
    fn operator_names() {
        assert!(parse_operator("stringequals").is_ok());
        assert!(parse_operator("ForAnyValue:StringLikeIfExists").is_ok());
        assert!(parse_operator("forallvalues:arnnotlikeifexists").is_ok());
        for bad in [
            "StringEqualz",
            "IfExists",
            "StringEqualsIfExistsIfExists",
            "ForAnyValue:",
            "ForSomeValues:StringEquals",
            "NullIfExists",
            "ForAnyValue:Null",
            "BinaryNotEquals",
            "",
        ] {
            assert_eq!(
                parse_operator(bad).unwrap_err().message(),
                format!("Invalid Condition type : {bad}")
            );
        }
    }

    #[test]
    fn malformed_conditions() {
        assert_eq!(
            error(r#"{"StringEqualz":{"aws:username":"a"}}"#),
            "Invalid Condition type : StringEqualz"
        );
        assert_eq!(error(r#"[]"#), "Syntax errors in policy.");
        assert_eq!(error(r#"{"StringEquals":"a"}"#), "Syntax errors in policy.");
        assert_eq!(
            error(r#"{"StringEquals":{"aws:username":{"a":1}}}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            error(r#"{"StringEquals":{"aws:username":null}}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            error(r#"{"StringEquals":{"aws:username":[["a"]]}}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            error(r#"{"StringEquals":{"username":"a"}}"#),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        for (op, value) in [
            ("DateLessThan", "soon"),
            ("NumericEquals", "ten"),
            ("IpAddress", "10.0.0.0/33"),
            ("Bool", "yes"),
            ("BinaryEquals", "!!"),
            ("Null", "maybe"),
        ] {
            assert_eq!(
                error(&format!(r#"{{"{op}":{{"aws:x":"{value}"}}}}"#)),
                format!("Invalid Condition value : {op} does not accept \"{value}\"")
            );
        }
    }
}
