//! The tokenizer: scikit-learn's default rule, `(?u)\b\w\w+\b` on lowercased text.

use std::borrow::Cow;

/// Whether `c` is a word character: Unicode alphanumerics (`char::is_alphanumeric`: the
/// `Alphabetic` property or a numeric general category) and `_`.
///
/// Python's `\w` on `str` (scikit-learn's default pattern) is "alphanumeric or underscore" with
/// `str.isalnum`, which uses the letter categories `L*` and the numeric ones. The two differ only
/// on the few non-letter characters with the `Other_Alphabetic` property (some combining vowel
/// signs, circled letters), which Rust counts as word characters and Python does not.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        c.is_alphanumeric()
    }
}

/// The text lowercased as Python's `str.lower()` does (full Unicode mapping), borrowed when it
/// is already lowercase ASCII.
pub fn lowercase(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// Calls `f` on every token of `text` (already lowercased): maximal runs of at least two word
/// characters ([`is_word_char`]), which is what `(?u)\b\w\w+\b` matches.
///
/// ```
/// let mut tokens = Vec::new();
/// lowrank_text::tokenize::for_each_token("c'est l'été, a b2 x_y 42", |t| tokens.push(t.to_string()));
/// assert_eq!(tokens, ["est", "été", "b2", "x_y", "42"]);
/// ```
pub fn for_each_token<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // Byte loop: no char decoding for the common case.
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && !is_ascii_word(bytes[i]) {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && is_ascii_word(bytes[i]) {
                i += 1;
            }
            if i - start >= 2 {
                f(&text[start..i]);
            }
        }
        return;
    }
    let mut start = None;
    let mut chars = 0usize;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
                chars = 0;
            }
            chars += 1;
        } else if let Some(s) = start.take() {
            if chars >= 2 {
                f(&text[s..i]);
            }
        }
    }
    if let Some(s) = start {
        if chars >= 2 {
            f(&text[s..]);
        }
    }
}

#[inline]
fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The tokens of `text` after lowercasing, as owned strings (convenient, not the fast path).
///
/// ```
/// assert_eq!(lowrank_text::tokenize::tokens("Hello, World! I am"), ["hello", "world", "am"]);
/// ```
pub fn tokens(text: &str) -> Vec<String> {
    let lower = lowercase(text);
    let mut out = Vec::new();
    for_each_token(&lower, |t| out.push(t.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_paths_agree_on_ascii_text() {
        let text = "The quick_brown fox -- 12 x 3y's; end";
        let mut a = Vec::new();
        for_each_token(text, |t| a.push(t));
        // Appending a non-ASCII separator forces the char path.
        let text2 = format!("{text}\u{00a0}");
        let mut b = Vec::new();
        for_each_token(&text2, |t| b.push(t));
        assert_eq!(a, b);
        assert_eq!(a, ["The", "quick_brown", "fox", "12", "3y", "end"]);
    }

    #[test]
    fn single_characters_and_punctuation_are_not_tokens() {
        assert!(tokens("a . b ! c ?").is_empty());
        assert_eq!(tokens("ÉCOLE Straße"), ["école", "straße"]);
        // A two-code-point word: counted in code points, as Python does.
        assert_eq!(tokens("ñu"), ["ñu"]);
    }
}
