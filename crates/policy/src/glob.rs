//! The policy wildcard language: `*` matches any run of characters (including none and
//! including `:` and `/`), `?` matches exactly one character, everything else matches itself.
//! There is no escape character; literal `*`/`?` come from policy variables (`${*}`, `${?}`).
//!
//! Matching is the classic greedy algorithm that backtracks only to the most recent `*`,
//! which is exact for this language and runs in O(pattern × input) without allocating.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// A run of characters that must appear verbatim.
    Lit(&'a str),
    /// `*`
    Star,
    /// `?`
    One,
}

/// An owned compiled pattern with no policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Vec<OwnedPiece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OwnedPiece {
    Lit(Box<str>),
    Star,
    One,
}

impl OwnedPiece {
    pub(crate) fn piece(&self) -> Piece<'_> {
        match self {
            Self::Lit(s) => Piece::Lit(s),
            Self::Star => Piece::Star,
            Self::One => Piece::One,
        }
    }
}

impl Pattern {
    /// Compiles `pattern`, reading every `*` and `?` as a wildcard.
    pub(crate) fn new(pattern: &str) -> Self {
        let mut pieces = Vec::new();
        push_wildcard_text(&mut pieces, pattern);
        Self { pieces }
    }

    /// Builds a pattern from already split pieces.
    pub(crate) fn from_pieces(pieces: Vec<OwnedPiece>) -> Self {
        Self { pieces }
    }

    /// Whether `input` matches; `fold_ascii` compares ASCII letters case-insensitively.
    pub(crate) fn matches(&self, input: &str, fold_ascii: bool) -> bool {
        matches_by(
            self.pieces.len(),
            |i| self.pieces.get(i).map_or(Piece::Star, OwnedPiece::piece),
            input,
            fold_ascii,
        )
    }
}

/// Appends `text` to `pieces`, splitting out `*` and `?` as wildcards and merging adjacent
/// literal runs.
pub(crate) fn push_wildcard_text(pieces: &mut Vec<OwnedPiece>, text: &str) {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '*' || c == '?' {
            if start < i {
                push_literal(pieces, &text[start..i]);
            }
            pieces.push(if c == '*' {
                OwnedPiece::Star
            } else {
                OwnedPiece::One
            });
            start = i + 1;
        }
    }
    if start < text.len() {
        push_literal(pieces, &text[start..]);
    }
}

/// Appends a literal run (no wildcard meaning), merging it with a preceding literal.
pub(crate) fn push_literal(pieces: &mut Vec<OwnedPiece>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(OwnedPiece::Lit(prev)) = pieces.last_mut() {
        let mut merged = String::with_capacity(prev.len() + text.len());
        merged.push_str(prev);
        merged.push_str(text);
        *prev = merged.into_boxed_str();
    } else {
        pieces.push(OwnedPiece::Lit(text.into()));
    }
}

/// Matches a slice of pieces against `input`.
pub(crate) fn matches(pattern: &[Piece<'_>], input: &str, fold_ascii: bool) -> bool {
    matches_by(
        pattern.len(),
        |i| pattern.get(i).copied().unwrap_or(Piece::Star),
        input,
        fold_ascii,
    )
}

/// The matcher: `len` pieces, the i-th given by `at(i)`.
fn matches_by<'p>(
    len: usize,
    at: impl Fn(usize) -> Piece<'p>,
    input: &str,
    fold_ascii: bool,
) -> bool {
    let mut p = 0usize;
    let mut i = 0usize;
    // After the most recent star: (index of the piece following it, input position from
    // which that piece is being tried).
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if p < len {
            match at(p) {
                Piece::Star => {
                    if p + 1 == len {
                        return true;
                    }
                    resume = Some((p + 1, i));
                    p += 1;
                    continue;
                }
                Piece::One => {
                    if let Some(c) = input.get(i..).and_then(|rest| rest.chars().next()) {
                        i += c.len_utf8();
                        p += 1;
                        continue;
                    }
                }
                Piece::Lit(lit) => {
                    if literal_at(input, i, lit, fold_ascii) {
                        i += lit.len();
                        p += 1;
                        continue;
                    }
                }
            }
        } else if i == input.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character and retry after it.
        let Some((after_star, from)) = resume else {
            return false;
        };
        let Some(c) = input.get(from..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        let next = from + c.len_utf8();
        resume = Some((after_star, next));
        p = after_star;
        i = next;
    }
}

/// Whether `lit` occurs in `input` at byte offset `at`.
fn literal_at(input: &str, at: usize, lit: &str, fold_ascii: bool) -> bool {
    let Some(candidate) = input.as_bytes().get(at..at.saturating_add(lit.len())) else {
        return false;
    };
    if fold_ascii {
        // ASCII folding never changes non-ASCII bytes, so an equal run ends on a char
        // boundary of `input` exactly when it does in `lit`.
        candidate.eq_ignore_ascii_case(lit.as_bytes())
    } else {
        candidate == lit.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn glob(pattern: &str, input: &str) -> bool {
        Pattern::new(pattern).matches(input, false)
    }

    /// A deliberately naive backtracking matcher over chars: the reference.
    fn reference(pattern: &[char], input: &[char], fold: bool) -> bool {
        match pattern.split_first() {
            None => input.is_empty(),
            Some(('*', rest)) => (0..=input.len()).any(|k| reference(rest, &input[k..], fold)),
            Some(('?', rest)) => !input.is_empty() && reference(rest, &input[1..], fold),
            Some((c, rest)) => match input.split_first() {
                Some((d, tail)) => {
                    let same = if fold {
                        c.eq_ignore_ascii_case(d)
                    } else {
                        c == d
                    };
                    same && reference(rest, tail, fold)
                }
                None => false,
            },
        }
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(glob("kms:Encrypt", "kms:Encrypt"));
        assert!(!glob("kms:Encrypt", "kms:Encrypt2"));
        assert!(!glob("kms:Encrypt", "kms:Encryp"));
        assert!(glob("kms:*", "kms:Encrypt"));
        assert!(glob("kms:*", "kms:"));
        assert!(!glob("kms:*", "km:Encrypt"));
        assert!(glob("*", ""));
        assert!(glob("*", "anything:at/all"));
        assert!(glob("kms:Re*crypt*", "kms:ReEncryptFrom"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(!glob("a?c", "abbc"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
        assert!(glob("**a", "bbba"));
        assert!(glob("", ""));
        assert!(!glob("", "x"));
    }

    #[test]
    fn question_mark_is_one_character_not_one_byte() {
        assert!(glob("caf?", "café"));
        assert!(glob("?", "é"));
        assert!(!glob("??", "é"));
        assert!(glob("*é", "aaé"));
    }

    #[test]
    fn ascii_folding() {
        let p = Pattern::new("KMS:generatedatakey*");
        assert!(p.matches("kms:GenerateDataKeyWithoutPlaintext", true));
        assert!(!p.matches("kms:GenerateDataKeyWithoutPlaintext", false));
        // Non-ASCII letters are not folded.
        assert!(!Pattern::new("É").matches("é", true));
    }

    #[test]
    fn literal_pieces_keep_wildcard_characters_literal() {
        let mut pieces = Vec::new();
        push_wildcard_text(&mut pieces, "home/");
        push_literal(&mut pieces, "a*b");
        push_wildcard_text(&mut pieces, "/*");
        let p = Pattern::from_pieces(pieces);
        assert!(p.matches("home/a*b/x", false));
        assert!(!p.matches("home/aXb/x", false));
    }

    #[test]
    fn slice_matcher() {
        assert!(matches(
            &[Piece::Lit("a"), Piece::Star, Piece::Lit("z")],
            "abcz",
            false
        ));
        assert!(!matches(&[Piece::Lit("a"), Piece::One], "a", false));
    }

    proptest! {
        #[test]
        fn agrees_with_reference(
            pattern in "[ab*?:]{0,10}",
            input in "[abAB:]{0,12}",
            fold in any::<bool>(),
        ) {
            let p: Vec<char> = pattern.chars().collect();
            let s: Vec<char> = input.chars().collect();
            prop_assert_eq!(
                Pattern::new(&pattern).matches(&input, fold),
                reference(&p, &s, fold)
            );
        }

        #[test]
        fn agrees_with_reference_on_unicode(
            pattern in "[aé*?]{0,8}",
            input in "[aéb]{0,10}",
        ) {
            let p: Vec<char> = pattern.chars().collect();
            let s: Vec<char> = input.chars().collect();
            prop_assert_eq!(Pattern::new(&pattern).matches(&input, false), reference(&p, &s, false));
        }

        #[test]
        fn literal_pattern_matches_itself(s in "\\PC{0,20}") {
            let literal: String = s.chars().filter(|c| *c != '*' && *c != '?').collect();
            prop_assert!(Pattern::new(&literal).matches(&literal, false));
        }
    }
}
