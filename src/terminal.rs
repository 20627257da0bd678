//! The terminal amlsec writes to.

/// `COLUMNS` when set, else the terminal's width when standard output is one, else 100.
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    let detected = || {
        use std::io::IsTerminal;
        std::io::stdout()
            .is_terminal()
            .then(|| comfy_table::Table::new().width().map(usize::from))
            .flatten()
    };
    columns.or_else(detected).unwrap_or(100).clamp(40, 240)
}

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
