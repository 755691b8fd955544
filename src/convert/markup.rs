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

/// Turns Matrix HTML (what Element sends) into WhatsApp markup and plain text.
pub fn html_to_wa(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut lists: Vec<Option<u32>> = Vec::new(); // None = <ul>, Some(n) = <ol> counter
    let mut link: Vec<String> = Vec::new();
    let mut link_text_start: Vec<usize> = Vec::new();
    let mut in_pre = false;
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
            match (name.as_str(), closing) {
                ("b" | "strong", _) => out.push('*'),
                ("i" | "em", _) => out.push('_'),
                ("del" | "s" | "strike", _) => out.push('~'),
                ("code", _) if !in_pre => out.push('`'),
                ("pre", false) => {
                    in_pre = true;
                    newline_if_needed(&mut out);
                    out.push_str("```");
                }
                ("pre", true) => {
                    in_pre = false;
                    if out.ends_with('\n') {
                        out.pop();
                    }
                    out.push_str("```\n");
                }
                ("br", _) => out.push('\n'),
                ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => out.push('\n'),
                ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                    newline_if_needed(&mut out)
                }
                ("ul", false) => lists.push(None),
                ("ol", false) => lists.push(Some(0)),
                ("ul" | "ol", true) => {
                    lists.pop();
                    newline_if_needed(&mut out);
                }
                ("li", false) => {
                    newline_if_needed(&mut out);
                    match lists.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            out.push_str(&format!("{n}. "));
                        }
                        _ => out.push_str("- "),
                    }
                }
                ("blockquote", false) => {
                    newline_if_needed(&mut out);
                    out.push_str("> ");
                }
                ("blockquote", true) => newline_if_needed(&mut out),
                ("a", false) => {
                    link.push(attr(tag, "href").unwrap_or_default());
                    link_text_start.push(out.len());
                }
                ("a", true) => {
                    if let (Some(href), Some(start)) = (link.pop(), link_text_start.pop()) {
                        let text = out[start..].to_owned();
                        let target = href.strip_prefix("mailto:").unwrap_or(&href);
                        if !href.is_empty()
                            && text != target
                            && !href.starts_with("https://matrix.to/")
                        {
                            out.push_str(&format!(" ({target})"));
                        }
                    }
                }
                ("mx-reply", false) => {
                    // Skip the reply fallback entirely.
                    match rest.find("</mx-reply>") {
                        Some(e) => rest = &rest[e + "</mx-reply>".len()..],
                        None => rest = "",
                    }
                }
                _ => {}
            }
            continue;
        }
        let next = rest[1..].find('<').map(|i| i + 1).unwrap_or(rest.len());
        out.push_str(&unescape(&rest[..next]));
        rest = &rest[next..];
    }
    out.trim_end_matches('\n').to_owned()
}

fn newline_if_needed(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
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
}
