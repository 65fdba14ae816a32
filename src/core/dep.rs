//! Dependencies as rpm writes them: the interned record a package's
//! dependency lists are parsed into ([`Dep`], [`DepKind`]), simple
//! (`name`, `name >= [E:]V[-R]`) and rich (`(a and (b or c >= 2))`).
//!
//! Parsing rich dependencies and printing them back the way libsolv does
//! (so `--format text` matches `dnf repoclosure` byte for byte) is all this
//! module does; which packages satisfy a dependency is the closure's business.

use std::fmt;

use super::evr::{Evr, Op};
use super::ids::{EvrId, StrId};

/// The dependency kinds of rpm-md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    /// `rpm:provides`
    Provides,
    /// `rpm:requires` (every kind: pre, post, preun... with `pre="1"` for the ordering ones)
    Requires,
    /// `rpm:conflicts`
    Conflicts,
    /// `rpm:obsoletes`
    Obsoletes,
    /// `rpm:recommends`
    Recommends,
    /// `rpm:suggests`
    Suggests,
    /// `rpm:supplements`
    Supplements,
    /// `rpm:enhances`
    Enhances,
}

/// One dependency of a package: an `<rpm:entry>`, parsed once into the form
/// the pool keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dep {
    /// Provides, Requires, ... (the list it was in).
    pub kind: DepKind,
    /// Capability name (or the whole text of a rich dependency, starting
    /// with `(`).
    pub name: StrId,
    /// Operator (`flags`), when versioned.
    pub op: Option<Op>,
    /// `epoch`, `ver` and `rel`, or [`NO_EVR`](super::ids::NO_EVR) when unversioned. An empty
    /// `epoch` or `rel` counts as absent.
    pub evr: EvrId,
    /// `Requires(pre)` and friends (`pre="1"`).
    pub pre: bool,
}

/// A simple dependency: a name, optionally constrained by an operator and an EVR.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimpleDep {
    /// The capability name (a package name, a soname, a file path...).
    pub name: String,
    /// The version constraint, if any.
    pub constraint: Option<(Op, Evr)>,
}

impl fmt::Display for SimpleDep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some((op, evr)) = &self.constraint {
            write!(f, " {} {}", op.symbol(), evr)?;
        }
        Ok(())
    }
}

/// The operators of rpm's boolean (rich) dependencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RichOp {
    /// `a and b`: both are needed.
    And,
    /// `a or b`: either will do.
    Or,
    /// `a if b`: `a` is needed when `b` is installed.
    If,
    /// `a unless b`: `a` is needed unless `b` is installed.
    Unless,
    /// `a with b`: one package must provide both.
    With,
    /// `a without b`: one package must provide `a` and not `b`.
    Without,
}

impl RichOp {
    fn keyword(self) -> &'static str {
        match self {
            RichOp::And => "and",
            RichOp::Or => "or",
            RichOp::If => "if",
            RichOp::Unless => "unless",
            RichOp::With => "with",
            RichOp::Without => "without",
        }
    }

    fn from_keyword(word: &str) -> Option<RichOp> {
        Some(match word {
            "and" => RichOp::And,
            "or" => RichOp::Or,
            "if" => RichOp::If,
            "unless" => RichOp::Unless,
            "with" => RichOp::With,
            "without" => RichOp::Without,
            _ => return None,
        })
    }
}

/// A parsed rich dependency.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RichDep {
    /// A simple dependency inside a rich one.
    Simple(SimpleDep),
    /// `(left OP right)`; chains such as `a and b and c` nest to the right.
    Binary(RichOp, Box<RichDep>, Box<RichDep>),
    /// `(then if cond else otherwise)` or `(then unless cond else otherwise)`.
    Else {
        /// `If` or `Unless`.
        op: RichOp,
        /// The part required when the condition selects it.
        then: Box<RichDep>,
        /// The condition.
        cond: Box<RichDep>,
        /// The `else` branch.
        otherwise: Box<RichDep>,
    },
}

impl RichDep {
    /// Calls `f` on every simple dependency inside, left to right.
    pub fn for_each_leaf(&self, f: &mut impl FnMut(&SimpleDep)) {
        match self {
            RichDep::Simple(s) => f(s),
            RichDep::Binary(_, l, r) => {
                l.for_each_leaf(f);
                r.for_each_leaf(f);
            }
            RichDep::Else {
                then, cond, otherwise, ..
            } => {
                then.for_each_leaf(f);
                cond.for_each_leaf(f);
                otherwise.for_each_leaf(f);
            }
        }
    }
}

/// Why a rich dependency could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed rich dependency {}: {reason} (at byte {at})", shortened(.text))]
pub struct RichParseError {
    /// The whole dependency text.
    pub text: String,
    /// What was wrong.
    pub reason: String,
    /// Byte offset where parsing stopped.
    pub at: usize,
}

/// How deep a rich dependency may nest: parentheses, and the operands of a
/// chain (`a and b and c` nests to the right), each count as a level. Every
/// walk over a [`RichDep`] (evaluation, printing, dropping) recurses once a
/// level, so this bounds their stack: a deeper dependency is malformed
/// metadata, not a crash. Real ones stay far below it: the deepest in
/// ../shared/data/real is glibc's langpacks chain in CentOS Stream 9
/// AppStream, 24 levels.
pub const MAX_RICH_DEPTH: usize = 256;

/// The text quoted, its middle left out when long: a hostile dependency can
/// be megabytes, and the message is read by a person.
fn shortened(text: &str) -> String {
    const KEEP: usize = 120;
    if text.len() <= 2 * KEEP {
        return format!("{text:?}");
    }
    let head = text
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|&i| i <= KEEP)
        .last()
        .unwrap_or(0);
    let tail = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| i >= text.len() - KEEP)
        .unwrap_or(text.len());
    format!("{:?}...{:?} ({} bytes)", &text[..head], &text[tail..], text.len())
}

/// Parses a rich dependency such as `(foo >= 1.0 if (bar or baz))`.
pub fn parse_rich(text: &str) -> Result<RichDep, RichParseError> {
    let mut p = Parser { text, pos: 0, depth: 0 };
    p.skip_ws();
    let dep = p.group()?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(p.error("unexpected text after the closing parenthesis"));
    }
    Ok(dep)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Levels of the tree above what is being parsed (see [`MAX_RICH_DEPTH`]).
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &str) -> RichParseError {
        RichParseError {
            text: self.text.to_owned(),
            reason: reason.to_owned(),
            at: self.pos,
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    /// A token: a run of characters up to whitespace or an unbalanced `)`.
    /// Balanced parentheses belong to the token, as in rpm's
    /// `skipnonwhiteex`: `libfoo.so.0()(64bit)` is one name.
    fn word(&mut self) -> &str {
        let start = self.pos;
        let mut depth = 0usize;
        let mut len = 0;
        for (i, c) in self.rest().char_indices() {
            len = i;
            if c.is_whitespace() && depth == 0 {
                break;
            }
            if c == ')' {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            if c == '(' {
                depth += 1;
            }
            len = i + c.len_utf8();
        }
        self.pos += len;
        &self.text[start..start + len]
    }

    fn peek_word(&mut self) -> String {
        let save = self.pos;
        let w = self.word().to_owned();
        self.pos = save;
        w
    }

    /// `( operand (OP operand)* )`
    fn group(&mut self) -> Result<RichDep, RichParseError> {
        if !self.rest().starts_with('(') {
            return Err(self.error("expected '('"));
        }
        let base = self.depth;
        let result = self.group_at(base);
        self.depth = base;
        result
    }

    /// Parses the operand that sits `level` levels below the group's top
    /// (the k-th operand of a chain sits k levels down).
    fn operand_at(&mut self, base: usize, level: usize) -> Result<RichDep, RichParseError> {
        self.depth = base + level + 1;
        if self.depth > MAX_RICH_DEPTH {
            return Err(self.error(&format!(
                "nested more than {MAX_RICH_DEPTH} levels deep (each parenthesis and each operand of a chain is a level)"
            )));
        }
        self.operand()
    }

    fn group_at(&mut self, base: usize) -> Result<RichDep, RichParseError> {
        self.pos += 1;
        self.skip_ws();
        let first = self.operand_at(base, 0)?;
        self.skip_ws();
        if self.rest().starts_with(')') {
            self.pos += 1;
            // `((a))` and `(a)` are legal in rpm: a group with a single operand.
            return Ok(first);
        }
        let op_word = self.word().to_owned();
        let op = RichOp::from_keyword(&op_word)
            .ok_or_else(|| self.error(&format!("expected an operator, found {op_word:?}")))?;
        self.skip_ws();
        let second = self.operand_at(base, 1)?;
        self.skip_ws();
        let result = match op {
            RichOp::If | RichOp::Unless => {
                if self.peek_word() == "else" {
                    self.word();
                    self.skip_ws();
                    let otherwise = self.operand_at(base, 1)?;
                    self.skip_ws();
                    RichDep::Else {
                        op,
                        then: Box::new(first),
                        cond: Box::new(second),
                        otherwise: Box::new(otherwise),
                    }
                } else {
                    RichDep::Binary(op, Box::new(first), Box::new(second))
                }
            }
            RichOp::And | RichOp::Or | RichOp::With | RichOp::Without => {
                let mut operands = vec![first, second];
                while !self.rest().starts_with(')') && !self.rest().is_empty() {
                    let w = self.word().to_owned();
                    if w != op_word || matches!(op, RichOp::Without) {
                        return Err(self.error(&format!("cannot chain {w:?} after {op_word:?} without parentheses")));
                    }
                    self.skip_ws();
                    let level = operands.len();
                    operands.push(self.operand_at(base, level)?);
                    self.skip_ws();
                }
                let mut it = operands.into_iter().rev();
                let mut acc = it.next().ok_or_else(|| self.error("empty group"))?;
                for left in it {
                    acc = RichDep::Binary(op, Box::new(left), Box::new(acc));
                }
                acc
            }
        };
        if !self.rest().starts_with(')') {
            return Err(self.error("expected ')'"));
        }
        self.pos += 1;
        Ok(result)
    }

    /// A nested group or a simple dependency `name [OP evr]`.
    fn operand(&mut self) -> Result<RichDep, RichParseError> {
        if self.rest().starts_with('(') {
            return self.group();
        }
        let name = self.word().to_owned();
        if name.is_empty() {
            return Err(self.error("expected a dependency"));
        }
        if RichOp::from_keyword(&name).is_some() || name == "else" {
            return Err(self.error(&format!("expected a dependency, found operator {name:?}")));
        }
        self.skip_ws();
        let next = self.peek_word();
        let constraint = match Op::from_symbol(&next) {
            Some(op) => {
                self.word();
                self.skip_ws();
                let text = self.word().to_owned();
                if text.is_empty() {
                    return Err(self.error("expected a version after the operator"));
                }
                // `-` or `1:` hold no version: read as an empty one, it
                // would print as nothing (found by the `rich` fuzz target).
                let evr = Evr::parse(&text);
                if evr.version.is_empty() {
                    return Err(self.error(&format!("no version in {text:?} after the operator")));
                }
                Some((op, evr))
            }
            None => None,
        };
        Ok(RichDep::Simple(SimpleDep { name, constraint }))
    }
}

impl RichDep {
    /// The operator at the top of this dependency, if it is not simple.
    fn top_op(&self) -> Option<RichOp> {
        match self {
            RichDep::Simple(_) => None,
            RichDep::Binary(op, ..) => Some(*op),
            RichDep::Else { op, .. } => Some(*op),
        }
    }

    /// Writes this dependency as libsolv's `pool_dep2str` (`dep2strcpy`)
    /// does, `outer` being the operator it is an operand of. libsolv keeps
    /// `(a if b else c)` as `a if (b else c)`, so the condition and the
    /// alternative are operands of an `else` ([`Outer::Else`]).
    fn write(&self, out: &mut String, outer: Outer) {
        // A chain of one associative operator (`a and b and c`, on either
        // side) needs no parentheses; a condition always has them, whatever
        // it sits in, and so does any operand of a condition or an `else`.
        let parens = self.top_op().is_some_and(|mine| match outer {
            Outer::Top | Outer::Else => true,
            Outer::Op(theirs) => theirs != mine || matches!(mine, RichOp::If | RichOp::Unless),
        });
        if parens {
            out.push('(');
        }
        match self {
            RichDep::Simple(s) => out.push_str(&s.to_string()),
            RichDep::Binary(op, l, r) => {
                l.write(out, Outer::Op(*op));
                out.push(' ');
                out.push_str(op.keyword());
                out.push(' ');
                r.write(out, Outer::Op(*op));
            }
            RichDep::Else {
                op,
                then,
                cond,
                otherwise,
            } => {
                then.write(out, Outer::Op(*op));
                out.push(' ');
                out.push_str(op.keyword());
                out.push(' ');
                cond.write(out, Outer::Else);
                out.push_str(" else ");
                otherwise.write(out, Outer::Else);
            }
        }
        if parens {
            out.push(')');
        }
    }
}

/// What a part of a rich dependency is printed inside of (see
/// [`RichDep::write`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outer {
    /// Nothing: the whole dependency.
    Top,
    /// An operand of this operator.
    Op(RichOp),
    /// The condition or the alternative of an `if ... else` or
    /// `unless ... else`.
    Else,
}

impl fmt::Display for RichDep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s, Outer::Top);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) -> String {
        match parse_rich(s) {
            Ok(d) => d.to_string(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_every_operator() {
        assert_eq!(roundtrip("(a and b)"), "(a and b)");
        assert_eq!(roundtrip("(a or b >= 2)"), "(a or b >= 2)");
        assert_eq!(roundtrip("(a if b)"), "(a if b)");
        assert_eq!(roundtrip("(a if b else c)"), "(a if b else c)");
        assert_eq!(roundtrip("(a unless b else c)"), "(a unless b else c)");
        assert_eq!(roundtrip("(a with b)"), "(a with b)");
        assert_eq!(roundtrip("(a without b)"), "(a without b)");
        assert_eq!(roundtrip("(a and b and c)"), "(a and b and c)");
        assert_eq!(
            roundtrip("(libdecor-0.so.0()(64bit) if libwayland-client)"),
            "(libdecor-0.so.0()(64bit) if libwayland-client)"
        );
        assert_eq!(
            roundtrip("((a or b) and (c >= 2 with c < 3))"),
            "((a or b) and (c >= 2 with c < 3))"
        );
    }

    /// Where libsolv's `dep2strcpy` puts parentheses, as `dnf repoclosure`
    /// printed these (fixtures/random, cases r01, r04, r09, r10, r35).
    #[test]
    fn prints_parentheses_where_libsolv_does() {
        // Operands of a condition, and of its `else`, keep theirs.
        assert_eq!(
            roundtrip("(a unless b else (c unless d))"),
            "(a unless b else (c unless d))"
        );
        assert_eq!(roundtrip("((a if b) if (c if d))"), "((a if b) if (c if d))");
        assert_eq!(roundtrip("((a unless b) unless c)"), "((a unless b) unless c)");
        assert_eq!(roundtrip("(a if (b if c) else d)"), "(a if (b if c) else d)");
        assert_eq!(
            roundtrip("(a if (b or c) else (d and e))"),
            "(a if (b or c) else (d and e))"
        );
        // A chain of one associative operator has none, on either side.
        assert_eq!(roundtrip("((a or b) or c)"), "(a or b or c)");
        assert_eq!(roundtrip("(a with (b with c))"), "(a with b with c)");
        assert_eq!(roundtrip("((a without b) without c)"), "(a without b without c)");
        // A different operator has them.
        assert_eq!(roundtrip("(a or (b and c))"), "(a or (b and c))");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "(a and",
            "(a and b",
            "(and b)",
            "(a b)",
            "(a and b or c)",
            "(a and b))",
            "(a >= )",
            "a and b",
            // Found by the `rich` fuzz target: read as an empty version,
            // these printed as `(pkg-a < )`, which does not parse.
            "(pkg-a >= \0u426-4 with pkg-a < -)",
            "(a < -1)",
            "(a = 1:)",
        ] {
            assert!(parse_rich(bad).is_err(), "{bad} should not parse");
        }
        // A version of its own still parses, with or without a release.
        for good in ["(a < 1-)", "(a = 1:2)", "(a >= 0-1)"] {
            assert!(parse_rich(good).is_ok(), "{good}");
        }
        // Found by the `rich` fuzz target: an empty epoch before a version
        // holding a `:` printed as text that reads back as another version.
        let odd = parse_rich("(pkg-a >= ::2.3-4 with pkg-a < 3)").map(|d| d.to_string());
        let printed = odd.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(printed, "(pkg-a >= 0::2.3-4 with pkg-a < 3)");
        assert_eq!(parse_rich(&printed).map(|d| d.to_string()).ok(), Some(printed));
        // ... and a version holding a `-` with an empty release.
        let printed = parse_rich("(a < -x- with b)").map(|d| d.to_string());
        let printed = printed.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(printed, "(a < -x- with b)");
        assert_eq!(parse_rich(&printed).map(|d| d.to_string()).ok(), Some(printed));
    }

    /// Nesting and chains past [`MAX_RICH_DEPTH`] are errors, not a stack
    /// overflow in whatever walks the tree next (issue 20, point 1).
    #[test]
    fn depth_is_bounded_by_nesting_and_by_chains() {
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_rich(&nested(MAX_RICH_DEPTH - 1)).is_ok());
        let deep = parse_rich(&nested(100_000))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(deep.contains("nested more than"), "{deep}");
        assert!(
            deep.len() < 600,
            "the message quotes all of the text: {} bytes",
            deep.len()
        );
        let chain = |n: usize| format!("({})", vec!["a"; n].join(" and "));
        let ok = parse_rich(&chain(MAX_RICH_DEPTH - 1)).map(|d| d.to_string());
        assert_eq!(ok.as_deref().ok(), Some(chain(MAX_RICH_DEPTH - 1).as_str()));
        let long = parse_rich(&chain(70_000))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(long.contains("nested more than"), "{long}");
        // Both at once: a chain of groups of chains.
        let inner = chain(MAX_RICH_DEPTH / 2);
        let mixed = format!("({})", vec![inner.as_str(); MAX_RICH_DEPTH / 2 + 2].join(" or "));
        assert!(parse_rich(&mixed).is_err());
    }
}
