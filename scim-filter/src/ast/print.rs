//! Canonical filter text: every AST type prints through `Display` as text
//! that parses back to an equal value.

use std::fmt::{self, Display};

use super::{AttrPath, CompValue, CompareOp, Comparison, Filter, Operands, PatchPath, ValuePath};

impl Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare(cmp) => cmp.fmt(f),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath(vp) => vp.fmt(f),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::And(ops) => {
                write_junction(f, ops, "and", |op| matches!(op, Self::And(_) | Self::Or(_)))
            }
            Self::Or(ops) => write_junction(f, ops, "or", |op| matches!(op, Self::Or(_))),
        }
    }
}

fn write_junction(
    f: &mut fmt::Formatter<'_>,
    ops: &Operands,
    keyword: &str,
    needs_parens: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            write!(f, " {keyword} ")?;
        }
        if needs_parens(op) {
            write!(f, "({op})")?;
        } else {
            Display::fmt(op, f)?;
        }
    }
    Ok(())
}

impl Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.path(), self.op(), self.value())
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{08}' => "\\b",
            '\u{0c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_str("\"")
}

impl Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = self.schema() {
            write!(f, "{schema}:")?;
        }
        f.write_str(self.name())?;
        if let Some(sub) = self.sub_attr() {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr(), self.filter())
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.attr().fmt(f)?;
        if let Some(filter) = self.filter() {
            write!(f, "[{filter}]")?;
            if let Some(sub) = self.sub_attr() {
                write!(f, ".{sub}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_every_control_character() {
        let v = CompValue::from("a\"b\\c\n\u{1}\u{7f}é");
        assert_eq!(v.to_string(), "\"a\\\"b\\\\c\\n\\u0001\u{7f}é\"");
    }

    #[test]
    fn nested_junctions_print_with_parentheses() {
        let a = || Filter::present(AttrPath::new("a").unwrap());
        let inner_or = Filter::Or(Operands::new(a(), a()));
        let f = Filter::Or(Operands::new(a(), inner_or.clone()));
        assert_eq!(f.to_string(), "a pr or (a pr or a pr)");
        let f = Filter::And(Operands::new(inner_or, a()));
        assert_eq!(f.to_string(), "(a pr or a pr) and a pr");
        let f = Filter::Or(Operands::new(Filter::And(Operands::new(a(), a())), a()));
        assert_eq!(f.to_string(), "a pr and a pr or a pr");
    }
}
