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
