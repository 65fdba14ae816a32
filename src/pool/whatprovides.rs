//! The providers index (libsolv's whatprovides): who provides each
//! capability name, at any version, and with which provide; the kind of
//! every name (plain, path, rich, ignored) and the parsed rich dependencies,
//! all built once by [`Pool::finish`].

use super::{NameKind, Pool, SELF_PROVIDE, group_of};
use crate::core::dep::{DepKind, RichDep, RichParseError};
use crate::core::evr::Op;
use crate::core::ids::{EvrId, NO_EVR, PkgId, StrId};

impl Pool {
    /// The parsed form of rich dependency `name`, or why it is malformed;
    /// `None` for a name that is not a rich dependency (or was interned
    /// after [`finish`](Self::finish)).
    pub fn rich_dep(&self, name: StrId) -> Option<&Result<RichDep, RichParseError>> {
        self.rich_deps.get(&name)
    }

    /// What kind of capability name `name` is.
    pub fn name_kind(&self, name: StrId) -> NameKind {
        match self.name_kinds.get(name as usize) {
            Some(&kind) => kind,
            None => NameKind::of(self.str(name)),
        }
    }

    /// Calls `f(name, package, index)` for every provide of every package in
    /// pool order (a package's own `name = EVR` last, with [`SELF_PROVIDE`],
    /// when its metadata does not list it).
    pub(super) fn each_provide(&self, mut f: impl FnMut(StrId, PkgId, u32)) {
        for (i, p) in self.packages.iter().enumerate() {
            let i = i as PkgId;
            let mut has_self = false;
            for (di, d) in (p.deps.start..).zip(self.deps(i)) {
                if d.kind == DepKind::Provides {
                    f(d.name, i, di);
                    has_self |= d.name == p.name && d.op == Some(Op::EQ) && d.evr == p.evr;
                }
            }
            if !has_self {
                f(p.name, i, SELF_PROVIDE);
            }
        }
    }

    /// Packages (with the provide that matched) providing capability `name`
    /// at any version, in pool order.
    pub fn providers_of(&self, name: StrId) -> &[(PkgId, u32)] {
        group_of(&self.provide_start, &self.provide_list, name)
    }

    /// The provide of a package named by a [`providers_of`](Self::providers_of)
    /// entry: (op, evr).
    pub fn provide_constraint(&self, pkg: PkgId, dep_index: u32) -> (Option<Op>, EvrId) {
        if dep_index == SELF_PROVIDE {
            (Some(Op::EQ), self.packages[pkg as usize].evr)
        } else {
            let segment = self.dep_segments.get(self.packages[pkg as usize].segment as usize);
            match segment.and_then(|s| s.get(dep_index as usize)) {
                Some(d) => (d.op, d.evr),
                None => (None, NO_EVR),
            }
        }
    }
}
