//! Writing Query protocol XML.

/// Escapes text for an XML element body.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML fragment under construction.
#[derive(Default)]
pub(crate) struct Xml(String);

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<name>text</name>`, text escaped.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Xml {
        self.0
            .push_str(&format!("<{name}>{}</{name}>", escape(value)));
        self
    }

    /// `<name>…</name>` around what `inner` writes.
    pub fn element(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) -> &mut Xml {
        self.0.push_str(&format!("<{name}>"));
        inner(self);
        self.0.push_str(&format!("</{name}>"));
        self
    }

    /// Escaped text directly inside the current element.
    pub fn raw_text(&mut self, value: &str) -> &mut Xml {
        self.0.push_str(&escape(value));
        self
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nests() {
        let mut x = Xml::new();
        x.element("User", |u| {
            u.text("UserName", "a<b>&\"c'");
        });
        assert_eq!(
            x.into_string(),
            "<User><UserName>a&lt;b&gt;&amp;&quot;c&apos;</UserName></User>"
        );
    }
}
