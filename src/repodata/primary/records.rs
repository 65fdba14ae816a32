//! The records primary.xml is parsed into ([`PkgRec`], [`Batch`]: strings
//! and EVRs as interned ids), and how what either reader finds fills them:
//! a package's text fields ([`Field`]), the attributes of `<version>` and
//! `<rpm:entry>` ([`EvrAttributes`], [`EntryAttributes`]), the tags of the
//! dependency lists.
//!
//! It reads no XML itself: the quick-xml reader and the hand-read scanner
//! hand it the values they found.

use std::borrow::Cow;
use std::ops::Range;

use super::caches::{ChunkStrings, ChunkText};
use crate::core::dep::{Dep, DepKind};
use crate::core::evr::Op;
use crate::core::ids::{EvrId, NO_EVR, NO_STR, StrId};
use crate::repodata::chunks::ParseError;
use crate::repodata::xml::{attr_value, needs_normalizing};

/// One `<package>` of primary.xml.
#[derive(Clone, Debug)]
pub struct PkgRec {
    /// `<name>`
    pub name: StrId,
    /// `<arch>`
    pub arch: StrId,
    /// `<version epoch ver rel>` (an empty epoch or release counts as absent).
    pub evr: EvrId,
    /// `<checksum pkgid="YES">`: links the package to its filelists entry.
    /// A range of [`Batch::pkgids`]: every pkgid is distinct, so interning
    /// them would only hash and store each once more.
    pub pkgid: Range<u32>,
    /// `<rpm:sourcerpm>`, absent for source packages.
    pub sourcerpm: StrId,
    /// Range of [`Batch::deps`].
    pub deps: Range<u32>,
    /// Range of [`Batch::files`] (the few files primary lists).
    pub files: Range<u32>,
}

/// The records parsed from one chunk of primary.xml, strings interned.
#[derive(Debug, Default)]
pub struct Batch {
    /// The packages.
    pub packages: Vec<PkgRec>,
    /// The dependencies of all packages.
    pub deps: Vec<Dep>,
    /// The file paths of all packages.
    pub files: Vec<StrId>,
    /// The pkgids of all packages, back to back.
    pub pkgids: String,
}

/// The dependency kind whose list `tag` opens (`rpm:requires`...).
pub(super) fn dep_kind_of_tag(tag: &[u8]) -> Option<DepKind> {
    Some(match tag {
        b"rpm:provides" => DepKind::Provides,
        b"rpm:requires" => DepKind::Requires,
        b"rpm:conflicts" => DepKind::Conflicts,
        b"rpm:obsoletes" => DepKind::Obsoletes,
        b"rpm:recommends" => DepKind::Recommends,
        b"rpm:suggests" => DepKind::Suggests,
        b"rpm:supplements" => DepKind::Supplements,
        b"rpm:enhances" => DepKind::Enhances,
        _ => return None,
    })
}

/// The end tag of `kind`'s list.
pub(super) fn dep_list_end_tag(kind: DepKind) -> &'static [u8] {
    match kind {
        DepKind::Provides => b"</rpm:provides>",
        DepKind::Requires => b"</rpm:requires>",
        DepKind::Conflicts => b"</rpm:conflicts>",
        DepKind::Obsoletes => b"</rpm:obsoletes>",
        DepKind::Recommends => b"</rpm:recommends>",
        DepKind::Suggests => b"</rpm:suggests>",
        DepKind::Supplements => b"</rpm:supplements>",
        DepKind::Enhances => b"</rpm:enhances>",
    }
}

/// The name of `kind`'s list (`rpm:requires`...), as its tags spell it.
pub(super) fn dep_list_tag(kind: DepKind) -> &'static [u8] {
    let end = dep_list_end_tag(kind);
    end.get(2..end.len() - 1).unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    None,
    Name,
    Arch,
    Pkgid,
    SourceRpm,
    File,
}

impl Field {
    /// Keeps `text`, the content of this field's element, in the package
    /// being read, whoever read it (quick-xml or [`package_run`](super::scan::package_run)).
    /// An empty `<name>` or `<arch>` is an error: libsolv loads no package
    /// from such a file.
    pub(super) fn store(
        self,
        text: &str,
        strings: &mut ChunkStrings<'_, '_>,
        pkg: &mut PkgRec,
        batch: &mut Batch,
    ) -> Result<(), ParseError> {
        match self {
            Field::Name | Field::Arch if text.is_empty() => {
                let tag = if self == Field::Name { "name" } else { "arch" };
                return Err(ParseError::Xml(format!("empty <{tag}>")));
            }
            Field::Name => pkg.name = strings.id(text),
            Field::Arch => pkg.arch = strings.id(text),
            Field::Pkgid => {
                let start = batch.pkgids.len() as u32;
                batch.pkgids.push_str(text);
                pkg.pkgid = start..batch.pkgids.len() as u32;
            }
            // A source package's is empty: absent, as when the tag is.
            Field::SourceRpm if text.is_empty() => pkg.sourcerpm = NO_STR,
            Field::SourceRpm => pkg.sourcerpm = strings.id(text),
            Field::File => batch.files.push(strings.id(text)),
            Field::None => {}
        }
        Ok(())
    }
}

/// An attribute's value as [`walk_attributes`](super::reader::walk_attributes) hands it out.
#[derive(Clone, Copy)]
pub(super) enum AttrValue<'c, 'a> {
    /// Read by hand: a slice of the chunk with nothing to unescape.
    Plain(ChunkText<'c>),
    /// Read by quick-xml.
    Xml(&'a quick_xml::events::attributes::Attribute<'a>),
}

impl AttrValue<'_, '_> {
    fn bytes(&self) -> &[u8] {
        match self {
            AttrValue::Plain(t) => t.text.as_bytes(),
            AttrValue::Xml(a) => &a.value,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// `pre="1"`
    fn is_one(&self) -> bool {
        self.bytes() == b"1"
    }

    /// The value as text, unescaped and normalized when quick-xml read it
    /// so (only to check it, or to quote it in an error).
    fn text(&self) -> Result<Cow<'_, str>, ParseError> {
        match self {
            AttrValue::Plain(t) => Ok(Cow::Borrowed(t.text)),
            AttrValue::Xml(a) => attr_value((*a).clone()),
        }
    }

    /// The operator of a `flags` value. A `flags` attribute that is not one
    /// of rpm-md's five (`"eq"`, `"GT "`, `""`) is an error: read as no
    /// operator it would drop the version, and satisfy the dependency where
    /// dnf reports it unresolved. No `flags` at all is an unversioned
    /// dependency.
    fn op(&self) -> Result<Op, ParseError> {
        let op = match self {
            AttrValue::Xml(a) if needs_normalizing(&a.value) => Op::from_rpmmd(&attr_value((*a).clone())?),
            _ => Op::from_rpmmd_bytes(self.bytes()),
        };
        op.ok_or_else(|| {
            let shown: String = self.text().unwrap_or_default().chars().take(40).collect();
            ParseError::Xml(format!(
                "unknown dependency flags={shown:?} (rpm-md has LT, LE, EQ, GE and GT)"
            ))
        })
    }

    /// Checks an `epoch` value: empty (absent) or a decimal number, as rpm
    /// writes it (libsolv loads nothing from a file with another).
    fn check_epoch(&self) -> Result<(), ParseError> {
        let bytes = self.bytes();
        if bytes.iter().all(u8::is_ascii_digit) {
            return Ok(());
        }
        let text = self.text()?;
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let shown: String = text.chars().take(40).collect();
        Err(ParseError::Xml(format!("epoch={shown:?} is not a number")))
    }
}

/// The `epoch`, `ver` and `rel` attributes of a `<version>` or an
/// `<rpm:entry>`, gathered in one walk over its attributes.
pub(super) struct EvrAttributes {
    epoch: StrId,
    version: StrId,
    release: StrId,
}

impl Default for EvrAttributes {
    fn default() -> Self {
        EvrAttributes {
            epoch: NO_STR,
            version: NO_STR,
            release: NO_STR,
        }
    }
}

impl EvrAttributes {
    /// Keeps `value` if `key` is one of the three; an empty epoch or
    /// release counts as absent.
    pub(super) fn take<'c>(
        &mut self,
        strings: &mut ChunkStrings<'c, '_>,
        key: &[u8],
        value: AttrValue<'c, '_>,
    ) -> Result<(), ParseError> {
        match key {
            b"epoch" => {
                value.check_epoch()?;
                self.epoch = strings.attr_id_or_absent(value)?;
            }
            b"ver" => self.version = strings.attr_id(value)?,
            b"rel" => self.release = strings.attr_id_or_absent(value)?,
            _ => {}
        }
        Ok(())
    }

    /// The interned EVR, or [`NO_EVR`] without a version.
    pub(super) fn intern(&self, strings: &mut ChunkStrings<'_, '_>) -> EvrId {
        if self.version == NO_STR {
            return NO_EVR;
        }
        strings.evr_id(self.epoch, self.version, self.release)
    }
}

/// The attributes of one `<rpm:entry>`, gathered as they come.
pub(super) struct EntryAttributes {
    dep: Dep,
    evr: EvrAttributes,
}

impl EntryAttributes {
    pub(super) fn new(kind: DepKind) -> Self {
        EntryAttributes {
            dep: Dep {
                kind,
                name: NO_STR,
                op: None,
                evr: NO_EVR,
                pre: false,
            },
            evr: EvrAttributes::default(),
        }
    }

    pub(super) fn take<'c>(
        &mut self,
        strings: &mut ChunkStrings<'c, '_>,
        key: &[u8],
        value: AttrValue<'c, '_>,
    ) -> Result<(), ParseError> {
        match key {
            b"name" => self.dep.name = strings.attr_id(value)?,
            b"flags" => self.dep.op = Some(value.op()?),
            b"pre" => self.dep.pre = value.is_one(),
            _ => self.evr.take(strings, key, value)?,
        }
        Ok(())
    }

    pub(super) fn finish(self, strings: &mut ChunkStrings<'_, '_>) -> Result<Dep, ParseError> {
        let evr = self.evr.intern(strings);
        self.with_evr(evr)
    }

    /// The dependency, with `evr` as its EVR; an entry must have a name.
    pub(super) fn with_evr(mut self, evr: EvrId) -> Result<Dep, ParseError> {
        if self.dep.name == NO_STR {
            return Err(ParseError::Xml("<rpm:entry> without a name".into()));
        }
        self.dep.evr = evr;
        Ok(self.dep)
    }
}

/// The attributes [`EvrAttributes`] keeps.
pub(super) fn is_evr_key(key: &[u8]) -> bool {
    matches!(key, b"epoch" | b"ver" | b"rel")
}
