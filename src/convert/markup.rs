//! WhatsApp markup ⇄ Matrix HTML. Pure functions.
//!
//! WhatsApp: `*bold*`, `_italic_`, `~strike~`, `` `code` `` and ```` ```block``` ````. A marker
//! opens only at the start of a word and closes only at the end of one, on the same line.

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Renders WhatsApp markup as HTML; `None` when the text has no markup (plain body suffices).
pub fn wa_to_html(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    let mut formatted = false;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("```") else { break };
        out.push_str(&inline(&rest[..start], &mut formatted));
        let code = after[..end].trim_start_matches('\n');
        out.push_str(&format!("<pre><code>{}</code></pre>", escape(code)));
        formatted = true;
        rest = &after[end + 3..];
    }
    out.push_str(&inline(rest, &mut formatted));
    formatted.then_some(out)
}

/// Inline code spans first (nothing inside them is formatted), then emphasis.
fn inline(text: &str, formatted: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let open = rest.find('`');
        let close = open.and_then(|o| rest[o + 1..].find('`').map(|c| o + 1 + c));
        match (open, close) {
            (Some(o), Some(c)) if c > o + 1 && !rest[o + 1..c].contains('\n') => {
                out.push_str(&emphasis(&rest[..o], formatted));
                out.push_str(&format!("<code>{}</code>", escape(&rest[o + 1..c])));
                *formatted = true;
                rest = &rest[c + 1..];
            }
            _ => break,
        }
    }
    out.push_str(&emphasis(rest, formatted));
    out.replace('\n', "<br>")
}

const MARKS: [(char, &str); 3] = [('*', "strong"), ('_', "em"), ('~', "del")];

fn is_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| c.is_whitespace() || (c.is_ascii_punctuation() && !"*_~`".contains(c)))
}

fn emphasis(text: &str, formatted: &mut bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let tag = MARKS.iter().find(|(m, _)| *m == c).map(|(_, t)| *t);
        let opens = tag.is_some()
            && is_boundary(i.checked_sub(1).map(|j| chars[j]))
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != c);
        if let (Some(tag), true) = (tag, opens) {
            // Find the closing marker on the same line.
            let close = (i + 2..chars.len())
                .take_while(|&j| chars[j] != '\n')
                .find(|&j| {
                    chars[j] == c
                        && !chars[j - 1].is_whitespace()
                        && is_boundary(chars.get(j + 1).copied())
                });
            if let Some(j) = close {
                let inner: String = chars[i + 1..j].iter().collect();
                out.push_str(&format!("<{tag}>{}</{tag}>", emphasis(&inner, formatted)));
                *formatted = true;
                i = j + 1;
                continue;
            }
        }
        out.push_str(&escape(&c.to_string()));
        i += 1;
    }
    out
}

/// WhatsApp text being written from HTML, line by line: knows where the current line's
/// content starts (after a list bullet or a quote mark), so block tags add no empty lines,
/// and prefixes every line inside a `<blockquote>` with `> `.
#[derive(Default)]
struct Lines {
    out: String,
    /// Byte offset where the current line's content starts.
    content_start: usize,
    quote: usize,
    /// A line break of the HTML source: a space before the next text on the same line.
    pending_space: bool,
}

impl Lines {
    fn at_line_start(&self) -> bool {
        self.out.len() == self.content_start
    }
    /// Writes text (or a marker), with the quote marks first at the start of a line.
    fn push(&mut self, s: &str) {
        if std::mem::take(&mut self.pending_space) && !self.at_line_start() {
            self.out.push(' ');
        }
        if self.quote > 0 && (self.out.is_empty() || self.out.ends_with('\n')) {
            self.out.push_str(&"> ".repeat(self.quote));
            self.content_start = self.out.len();
        }
        self.out.push_str(s);
    }
    /// Ends the line.
    fn newline(&mut self) {
        self.pending_space = false;
        self.out.push('\n');
        self.content_start = self.out.len();
    }
    /// Ends the line unless nothing was written on it yet.
    fn newline_if_needed(&mut self) {
        if !self.at_line_start() && !self.out.is_empty() {
            self.newline();
        }
    }
    /// A prefix that belongs to the line's start (a bullet): content begins after it.
    fn push_prefix(&mut self, s: &str) {
        self.push(s);
        self.content_start = self.out.len();
    }
}

/// A mention as Matrix HTML: a link Element shows as the user's pill (and notifies them of).
pub fn pill(user: &str) -> String {
    format!(
        "<a href=\"https://matrix.to/#/{user}\">{}</a>",
        escape(user)
    )
}

/// Turns Matrix HTML (what Element sends) into WhatsApp markup and plain text. Outside
/// `<pre>`, line breaks in the HTML source are spaces, as in a browser; only tags break lines.
pub fn html_to_wa(html: &str) -> String {
    let mut c = HtmlToWa::default();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('<')
            && let Some(end) = stripped.find('>')
        {
            let tag = &stripped[..end];
            rest = &stripped[end + 1..];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
                .to_ascii_lowercase();
            if name == "mx-reply" && !closing {
                // Skip the reply fallback entirely.
                rest = rest
                    .find("</mx-reply>")
                    .map_or("", |e| &rest[e + "</mx-reply>".len()..]);
            } else {
                c.tag(&name, closing, tag);
            }
            continue;
        }
        // Text up to the next tag. The first character is taken whole (it may be a `<` that
        // opens no tag, or a multi-byte letter such as `È`): never slice inside it.
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let next = rest[first..].find('<').map_or(rest.len(), |i| i + first);
        c.text(&unescape(&rest[..next]));
        rest = &rest[next..];
    }
    c.w.out.trim_end_matches('\n').to_owned()
}

/// The state of an HTML → WhatsApp conversion: the lines written, the open lists (`None` a
/// `<ul>`, `Some(n)` an `<ol>`'s counter), the open links (href, where their text starts),
/// and whether the text is preformatted.
#[derive(Default)]
struct HtmlToWa {
    w: Lines,
    lists: Vec<Option<u32>>,
    link: Vec<(String, usize)>,
    in_pre: bool,
}

impl HtmlToWa {
    /// An opening or closing tag (`tag`: its whole text, for attributes).
    fn tag(&mut self, name: &str, closing: bool, tag: &str) {
        let w = &mut self.w;
        match (name, closing) {
            ("b" | "strong", _) => w.push("*"),
            ("i" | "em", _) => w.push("_"),
            ("del" | "s" | "strike", _) => w.push("~"),
            ("code", _) if !self.in_pre => w.push("`"),
            ("pre", false) => {
                self.in_pre = true;
                w.newline_if_needed();
                w.push("```");
            }
            ("pre", true) => {
                self.in_pre = false;
                if w.out.ends_with('\n') {
                    w.out.pop();
                }
                w.push("```");
                w.newline();
            }
            ("br", _) => w.newline(),
            ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", _) => w.newline_if_needed(),
            ("ul", false) => self.lists.push(None),
            ("ol", false) => self.lists.push(Some(0)),
            ("ul" | "ol", true) => {
                self.lists.pop();
                w.newline_if_needed();
            }
            ("li", false) => {
                w.newline_if_needed();
                match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        w.push_prefix(&format!("{n}. "));
                    }
                    _ => w.push_prefix("- "),
                }
            }
            ("li", true) => w.newline_if_needed(),
            ("blockquote", false) => {
                w.newline_if_needed();
                w.quote += 1;
            }
            ("blockquote", true) => {
                w.newline_if_needed();
                w.quote = w.quote.saturating_sub(1);
            }
            ("a", false) => self
                .link
                .push((attr(tag, "href").unwrap_or_default(), w.out.len())),
            ("a", true) => {
                if let Some((href, start)) = self.link.pop() {
                    // A `</pre>` inside the link may have taken back a newline.
                    let text = w.out.get(start..).unwrap_or_default().to_owned();
                    let target = href.strip_prefix("mailto:").unwrap_or(&href);
                    if !href.is_empty() && text != target && !href.starts_with("https://matrix.to/")
                    {
                        w.push(&format!(" ({target})"));
                    }
                }
            }
            _ => {}
        }
    }

    /// Text between tags: as it is inside `<pre>`; elsewhere source line breaks are spaces,
    /// and nothing at a line's start.
    fn text(&mut self, text: &str) {
        if self.in_pre {
            self.w.out.push_str(text);
            return;
        }
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                self.w.pending_space = true;
            }
            if !part.is_empty() {
                self.w.push(part);
            }
        }
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let i = tag.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[i..];
    let q = rest.chars().next()?;
    if q == '"' || q == '\'' {
        rest[1..].find(q).map(|e| unescape(&rest[1..1 + e]))
    } else {
        Some(
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

/// Decodes the HTML entities Matrix clients produce.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wa_markup_to_html() {
        assert_eq!(wa_to_html("plain text"), None);
        assert_eq!(
            wa_to_html("*bold* _it_ ~no~ `x*y*`").unwrap(),
            "<strong>bold</strong> <em>it</em> <del>no</del> <code>x*y*</code>"
        );
        assert_eq!(
            wa_to_html("see ```let a = 1 < 2;```\nok").unwrap(),
            "see <pre><code>let a = 1 &lt; 2;</code></pre><br>ok"
        );
        assert_eq!(
            wa_to_html("*bold _and it_*").unwrap(),
            "<strong>bold <em>and it</em></strong>"
        );
    }

    #[test]
    fn wa_markers_need_word_boundaries() {
        assert_eq!(wa_to_html("2*3*4 and snake_case_name"), None);
        assert_eq!(wa_to_html("a * b * c"), None);
        assert_eq!(wa_to_html("*open\nclose*"), None);
        assert_eq!(wa_to_html("(*yes*)").unwrap(), "(<strong>yes</strong>)");
        // Text is escaped even when formatted.
        assert_eq!(wa_to_html("*<b>*").unwrap(), "<strong>&lt;b&gt;</strong>");
    }

    #[test]
    fn html_to_wa_markup() {
        assert_eq!(
            html_to_wa("<strong>Orari</strong>: <em>lun</em> <del>mar</del> <code>9-13</code>"),
            "*Orari*: _lun_ ~mar~ `9-13`"
        );
        assert_eq!(
            html_to_wa("a<br>b<br/>c &amp; d &lt;3 &#8364;"),
            "a\nb\nc & d <3 €"
        );
        assert_eq!(html_to_wa("<pre><code>x = 1\n</code></pre>"), "```x = 1```");
        assert_eq!(
            html_to_wa("<ul><li>one</li><li>two</li></ul><ol><li>a</li><li>b</li></ol>"),
            "- one\n- two\n1. a\n2. b"
        );
        assert_eq!(
            html_to_wa("<a href=\"https://comune.example.it\">sito</a>"),
            "sito (https://comune.example.it)"
        );
        assert_eq!(
            html_to_wa("<a href=\"https://x.it\">https://x.it</a>"),
            "https://x.it"
        );
        assert_eq!(
            html_to_wa("<mx-reply><blockquote>old</blockquote></mx-reply>new"),
            "new"
        );
        assert_eq!(html_to_wa("<p>one</p><p>two</p>"), "one\ntwo");
    }

    #[test]
    fn round_trip_keeps_markup() {
        for s in ["*a* _b_ ~c~ `d`", "plain", "x *bold words* y"] {
            let html = wa_to_html(s).unwrap_or_else(|| escape(s));
            assert_eq!(html_to_wa(&html), s);
        }
    }

    #[test]
    fn element_html_starting_with_multibyte_characters() {
        // Element's HTML for `**È** aperto oggi`: this sliced inside `È` and panicked.
        assert_eq!(
            html_to_wa("<strong>È</strong> aperto oggi"),
            "*È* aperto oggi"
        );
        assert_eq!(html_to_wa("<em>È</em>"), "_È_");
        assert_eq!(
            html_to_wa("<ul><li>🎉 festa</li><li>Às</li></ul>"),
            "- 🎉 festa\n- Às"
        );
        assert_eq!(html_to_wa("<blockquote>Ù</blockquote>ok"), "> Ù\nok");
        assert_eq!(html_to_wa("<ol><li>Ä</li></ol>"), "1. Ä");
        assert_eq!(html_to_wa("È<"), "È<");
        assert_eq!(html_to_wa("<"), "<");
        // A `</pre>` inside a link takes back the newline the link text started at.
        assert_eq!(html_to_wa("x<br><a href=\"y\"></pre></a>"), "x```\n (y)");
    }

    #[test]
    fn element_block_html_becomes_whatsapp_lines() {
        // What Element sends for Markdown lists, quotes and paragraphs (source line breaks
        // between tags are not line breaks).
        assert_eq!(
            html_to_wa("<ul>\n<li>🎉 Festa</li>\n<li>À presto</li>\n</ul>\n"),
            "- 🎉 Festa\n- À presto"
        );
        assert_eq!(
            html_to_wa("<ol>\n<li><p>Èrcole</p>\n</li>\n<li><p>Ùmbria</p>\n</li>\n</ol>\n"),
            "1. Èrcole\n2. Ùmbria"
        );
        assert_eq!(
            html_to_wa("<blockquote>\n<p>È così<br>davvero</p>\n</blockquote>\n<p>sì</p>\n"),
            "> È così\n> davvero\nsì"
        );
        assert_eq!(html_to_wa("<p>uno\ndue</p>"), "uno due");
        assert_eq!(html_to_wa("<strong>a</strong>\n<em>b</em>"), "*a* _b_");
    }
}
