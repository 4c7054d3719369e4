//! A minimal line editor in the manner of linenoise (the one redis-cli
//! embeds): raw mode through termios (declared here: std already links
//! libc), one-line refresh with horizontal scrolling, history, Tab
//! completion that cycles through candidates, and a dim hint after the
//! cursor.
//!
//! Keys: ←/→ Ctrl-B/F, Home/End Ctrl-A/E, Backspace Ctrl-H, Delete,
//! Ctrl-D (delete, or end of input on an empty line), Ctrl-K (kill to the
//! end), Ctrl-U (kill the line), Ctrl-W (kill the previous word), Ctrl-T
//! (transpose), ↑/↓ Ctrl-P/N (history), Ctrl-L (clear screen), Tab
//! (complete; Esc restores what was typed), Ctrl-C (abandon: the caller
//! exits, as redis-cli does).

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;

/// Completion and hints for the line typed so far.
pub trait Helper {
    fn complete(&self, line: &str) -> Vec<String>;
    fn hint(&self, line: &str) -> Option<String>;
}

pub enum Input {
    Line(String),
    /// Ctrl-D on an empty line, or the end of stdin.
    Eof,
    /// Ctrl-C.
    Interrupted,
}

pub struct Editor {
    history: Vec<String>,
    path: Option<PathBuf>,
    max: usize,
    pub hints: bool,
}

#[cfg(target_os = "linux")]
mod term {
    use std::os::raw::{c_int, c_ulong};

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct Termios {
        iflag: u32,
        oflag: u32,
        cflag: u32,
        lflag: u32,
        line: u8,
        cc: [u8; 32],
        ispeed: u32,
        ospeed: u32,
    }

    #[repr(C)]
    struct Winsize {
        row: u16,
        col: u16,
        xpixel: u16,
        ypixel: u16,
    }

    extern "C" {
        fn tcgetattr(fd: c_int, t: *mut Termios) -> c_int;
        fn tcsetattr(fd: c_int, action: c_int, t: *const Termios) -> c_int;
        fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    }

    const BRKINT: u32 = 0o2;
    const INPCK: u32 = 0o20;
    const ISTRIP: u32 = 0o40;
    const ICRNL: u32 = 0o400;
    const IXON: u32 = 0o2000;
    const OPOST: u32 = 0o1;
    const CS8: u32 = 0o60;
    const ISIG: u32 = 0o1;
    const ICANON: u32 = 0o2;
    const ECHO: u32 = 0o10;
    const IEXTEN: u32 = 0o100000;
    const VTIME: usize = 5;
    const VMIN: usize = 6;
    // TCSADRAIN, not linenoise's TCSAFLUSH: what was typed while a
    // command ran is kept (type-ahead), not thrown away.
    const TCSADRAIN: c_int = 1;
    const TIOCGWINSZ: c_ulong = 0x5413;

    /// Raw mode on stdin until dropped.
    pub struct Raw(Termios);

    impl Raw {
        pub fn enable() -> Option<Raw> {
            // SAFETY: tcgetattr fills the struct, whose layout is glibc's
            // and musl's `struct termios` on Linux.
            unsafe {
                let mut t: Termios = std::mem::zeroed();
                if tcgetattr(0, &mut t) != 0 {
                    return None;
                }
                let orig = t;
                t.iflag &= !(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
                t.oflag &= !OPOST;
                t.cflag |= CS8;
                t.lflag &= !(ECHO | ICANON | IEXTEN | ISIG);
                t.cc[VMIN] = 1;
                t.cc[VTIME] = 0;
                if tcsetattr(0, TCSADRAIN, &t) != 0 {
                    return None;
                }
                Some(Raw(orig))
            }
        }
    }

    impl Drop for Raw {
        fn drop(&mut self) {
            // SAFETY: restores the settings read in `enable`.
            unsafe {
                tcsetattr(0, TCSADRAIN, &self.0);
            }
        }
    }

    /// The terminal's width in columns (80 if unknown).
    pub fn columns() -> usize {
        // SAFETY: TIOCGWINSZ writes one `struct winsize`.
        unsafe {
            let mut w: Winsize = std::mem::zeroed();
            if ioctl(1, TIOCGWINSZ, &mut w as *mut Winsize) == 0 && w.col > 0 {
                w.col as usize
            } else {
                80
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod term {
    /// No raw mode off Linux: lines are read as the terminal cooks them.
    pub struct Raw;
    impl Raw {
        pub fn enable() -> Option<Raw> {
            None
        }
    }
    pub fn columns() -> usize {
        80
    }
}

/// The line being edited.
struct State<'a> {
    prompt: &'a str,
    buf: Vec<char>,
    pos: usize,
    out: io::Stdout,
}

impl State<'_> {
    fn text(&self) -> String {
        self.buf.iter().collect()
    }

    fn set(&mut self, s: &str) {
        self.buf = s.chars().collect();
        self.pos = self.buf.len();
    }

    /// Redraws the line: prompt, the visible part of the text, the hint.
    fn refresh(&mut self, helper: Option<&dyn Helper>) {
        let cols = term::columns();
        let plen = self.prompt.chars().count();
        let (mut start, mut len, mut pos) = (0, self.buf.len(), self.pos);
        while plen + pos >= cols && pos > 0 {
            start += 1;
            len -= 1;
            pos -= 1;
        }
        while plen + len > cols && len > 0 {
            len -= 1;
        }
        let mut s = String::from("\r");
        s.push_str(self.prompt);
        s.extend(&self.buf[start..start + len]);
        if let Some(h) = helper {
            if plen + len < cols {
                if let Some(hint) = h.hint(&self.text()) {
                    let room = cols - (plen + len);
                    let hint: String = hint.chars().take(room).collect();
                    s.push_str("\x1b[0;90;49m");
                    s.push_str(&hint);
                    s.push_str("\x1b[0m");
                }
            }
        }
        s.push_str("\x1b[0K");
        s.push_str(&format!("\r\x1b[{}C", pos + plen));
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    fn beep(&mut self) {
        let _ = io::stderr().write_all(b"\x07");
    }
}

/// Reads one key: a byte, or a UTF-8 character.
fn read_char(input: &mut impl Read) -> io::Result<Option<char>> {
    let mut b = [0u8; 1];
    if input.read(&mut b)? == 0 {
        return Ok(None);
    }
    let n = match b[0] {
        0..=0x7f => return Ok(Some(b[0] as char)),
        0xc0..=0xdf => 1,
        0xe0..=0xef => 2,
        0xf0..=0xf7 => 3,
        _ => return Ok(Some('\u{fffd}')),
    };
    let mut v = vec![b[0]];
    for _ in 0..n {
        if input.read(&mut b)? == 0 {
            return Ok(None);
        }
        v.push(b[0]);
    }
    Ok(Some(
        std::str::from_utf8(&v)
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{fffd}'),
    ))
}

impl Editor {
    /// An editor whose history lives in `path` (loaded now if it exists).
    pub fn new(path: Option<PathBuf>) -> Editor {
        let mut e = Editor {
            history: Vec::new(),
            path,
            max: 1000,
            hints: true,
        };
        if let Some(p) = &e.path {
            if let Ok(s) = std::fs::read_to_string(p) {
                for l in s.lines() {
                    e.push(l);
                }
            }
        }
        e
    }

    fn push(&mut self, line: &str) {
        if line.is_empty() || self.history.last().map(|l| l == line).unwrap_or(false) {
            return;
        }
        self.history.push(line.to_string());
        if self.history.len() > self.max {
            self.history.remove(0);
        }
    }

    /// Adds a line to the history and saves the history file.
    pub fn add_history(&mut self, line: &str) {
        self.push(line);
        if let Some(p) = &self.path {
            let mut text = self.history.join("\n");
            text.push('\n');
            let tmp = p.with_extension("tmp");
            let written = (|| -> io::Result<()> {
                use std::os::unix::fs::OpenOptionsExt;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(&tmp)?;
                f.write_all(text.as_bytes())?;
                std::fs::rename(&tmp, p)
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }

    /// Reads one line: edited in raw mode when stdin is a terminal,
    /// otherwise read plainly (no prompt), as linenoise does.
    pub fn readline(&mut self, prompt: &str, helper: &dyn Helper) -> io::Result<Input> {
        let stdin = io::stdin();
        let dumb = matches!(
            std::env::var("TERM").as_deref(),
            Ok("dumb") | Ok("cons25") | Ok("emacs")
        );
        if !stdin.is_terminal() || dumb {
            if stdin.is_terminal() {
                print!("{}", prompt);
                io::stdout().flush()?;
            }
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(Input::Eof);
            }
            while line.ends_with('\n') || line.ends_with('\r') {
                line.pop();
            }
            return Ok(Input::Line(line));
        }
        let Some(raw) = term::Raw::enable() else {
            print!("{}", prompt);
            io::stdout().flush()?;
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(Input::Eof);
            }
            return Ok(Input::Line(line.trim_end_matches(['\n', '\r']).to_string()));
        };
        let r = self.edit(prompt, helper);
        let mut out = io::stdout();
        let _ = out.write_all(b"\r\n");
        let _ = out.flush();
        drop(raw);
        r
    }

    fn edit(&mut self, prompt: &str, helper: &dyn Helper) -> io::Result<Input> {
        let mut st = State {
            prompt,
            buf: Vec::new(),
            pos: 0,
            out: io::stdout(),
        };
        let h: Option<&dyn Helper> = if self.hints { Some(helper) } else { None };
        // History browsing: `scratch` is the history plus the line being
        // typed; edits to recalled lines are kept until Enter.
        let mut scratch = self.history.clone();
        scratch.push(String::new());
        let mut idx = scratch.len() - 1;
        let stdin = io::stdin();
        let mut input = stdin.lock();
        st.refresh(h);
        let mut pending: Option<char> = None;
        loop {
            let c = match pending.take() {
                Some(c) => c,
                None => match read_char(&mut input)? {
                    Some(c) => c,
                    None => return Ok(Input::Eof),
                },
            };
            let c = if c == '\t' {
                match self.complete(&mut st, helper, &mut input)? {
                    Some(next) => next,
                    None => continue,
                }
            } else {
                c
            };
            match c {
                '\r' | '\n' => {
                    // Redraw without the hint so the line stays as typed.
                    st.refresh(None);
                    return Ok(Input::Line(st.text()));
                }
                '\u{3}' => return Ok(Input::Interrupted),
                '\u{4}' => {
                    if st.buf.is_empty() {
                        return Ok(Input::Eof);
                    }
                    if st.pos < st.buf.len() {
                        st.buf.remove(st.pos);
                    }
                }
                '\u{7f}' | '\u{8}' => {
                    if st.pos > 0 {
                        st.pos -= 1;
                        st.buf.remove(st.pos);
                    }
                }
                '\u{14}' => {
                    // Ctrl-T: swap the character before the cursor with the one under it.
                    if st.pos > 0 && st.pos < st.buf.len() {
                        st.buf.swap(st.pos - 1, st.pos);
                        if st.pos < st.buf.len() - 1 {
                            st.pos += 1;
                        }
                    }
                }
                '\u{2}' => st.pos = st.pos.saturating_sub(1),
                '\u{6}' => st.pos = (st.pos + 1).min(st.buf.len()),
                '\u{1}' => st.pos = 0,
                '\u{5}' => st.pos = st.buf.len(),
                '\u{b}' => st.buf.truncate(st.pos),
                '\u{15}' => {
                    st.buf.clear();
                    st.pos = 0;
                }
                '\u{17}' => {
                    let old = st.pos;
                    while st.pos > 0 && st.buf[st.pos - 1] == ' ' {
                        st.pos -= 1;
                    }
                    while st.pos > 0 && st.buf[st.pos - 1] != ' ' {
                        st.pos -= 1;
                    }
                    st.buf.drain(st.pos..old);
                }
                '\u{c}' => {
                    let _ = st.out.write_all(b"\x1b[H\x1b[2J");
                }
                '\u{10}' => history(&mut st, &mut scratch, &mut idx, true),
                '\u{e}' => history(&mut st, &mut scratch, &mut idx, false),
                '\u{1b}' => {
                    let Some(a) = read_char(&mut input)? else {
                        return Ok(Input::Eof);
                    };
                    let Some(b) = read_char(&mut input)? else {
                        return Ok(Input::Eof);
                    };
                    match (a, b) {
                        ('[', d) if d.is_ascii_digit() => {
                            let Some(t) = read_char(&mut input)? else {
                                return Ok(Input::Eof);
                            };
                            if t == '~' {
                                match d {
                                    '3' if st.pos < st.buf.len() => {
                                        st.buf.remove(st.pos);
                                    }
                                    '1' | '7' => st.pos = 0,
                                    '4' | '8' => st.pos = st.buf.len(),
                                    _ => {}
                                }
                            }
                        }
                        ('[', 'A') => history(&mut st, &mut scratch, &mut idx, true),
                        ('[', 'B') => history(&mut st, &mut scratch, &mut idx, false),
                        ('[', 'C') => st.pos = (st.pos + 1).min(st.buf.len()),
                        ('[', 'D') => st.pos = st.pos.saturating_sub(1),
                        ('[', 'H') | ('O', 'H') => st.pos = 0,
                        ('[', 'F') | ('O', 'F') => st.pos = st.buf.len(),
                        _ => {}
                    }
                }
                c if (c as u32) < 0x20 => {}
                c => {
                    st.buf.insert(st.pos, c);
                    st.pos += 1;
                }
            }
            st.refresh(h);
        }
    }

    /// Tab: shows each candidate in turn (Tab again for the next, Esc
    /// for the original text). Returns the key that ended completion, to
    /// be handled as usual, or None when it was consumed.
    fn complete(
        &self,
        st: &mut State,
        helper: &dyn Helper,
        input: &mut impl Read,
    ) -> io::Result<Option<char>> {
        let original = st.text();
        let cands = helper.complete(&original);
        if cands.is_empty() {
            st.beep();
            return Ok(None);
        }
        let h: Option<&dyn Helper> = if self.hints { Some(helper) } else { None };
        let mut i = 0;
        loop {
            if i < cands.len() {
                st.set(&cands[i]);
            } else {
                st.set(&original);
            }
            st.refresh(h);
            let Some(c) = read_char(input)? else {
                return Ok(Some('\u{4}'));
            };
            match c {
                '\t' => {
                    i = (i + 1) % (cands.len() + 1);
                    if i == cands.len() {
                        st.beep();
                    }
                }
                '\u{1b}' => {
                    st.set(&original);
                    st.refresh(h);
                    return Ok(None);
                }
                other => return Ok(Some(other)),
            }
        }
    }
}

/// ↑ (`up`) or ↓ through the history, keeping edits of recalled lines.
fn history(st: &mut State, scratch: &mut [String], idx: &mut usize, up: bool) {
    if scratch.len() <= 1 {
        return;
    }
    scratch[*idx] = st.text();
    if up && *idx > 0 {
        *idx -= 1;
    } else if !up && *idx + 1 < scratch.len() {
        *idx += 1;
    } else {
        return;
    }
    let line = scratch[*idx].clone();
    st.set(&line);
}
