//! Text from the estate or from ARM made safe for the terminal the binary writes it to.

/// `text` with every control character written as a visible escape (`\u{1b}`): text from
/// the estate or from ARM must not move the cursor, recolour, retitle or clear a terminal.
/// Line feeds and tabs stay; bidirectional overrides, which can make a shown id read as
/// another, are escaped too.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b\rc\u{9b}31m"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{d}c\\u{9b}31m"
        );
        assert_eq!(printable("id\u{202e}txt.exe"), "id\\u{202e}txt.exe");
    }
}
