//! The process identity: `[process] user` / `group` looked up in the
//! system's user and group databases (at config conversion, so that an
//! unknown name is a `file:line:col` error at `check` and at start), and the
//! drop from root to that identity once `serve` has bound every socket.
//!
//! The drop goes supplementary groups first, then the gid, then the uid
//! (after `setuid` the process could no longer change its groups), and is
//! verified afterwards: real and effective ids are the target's, the only
//! group is the target group, and `setuid(0)` fails. glibc and musl apply
//! `setuid`/`setgid`/`setgroups` to every thread of the process, so the
//! runtime's threads, started before the drop, change with it.
//!
//! Everything goes through `nix`'s safe wrappers: no `unsafe` here.

use std::path::Path;

use nix::unistd::{self, AccessFlags, Gid, Group, Uid, User};

/// The identity `serve` runs as after binding its sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    pub uid: u32,
    pub group: String,
    pub gid: u32,
}

impl std::fmt::Display for RunAs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (uid {}), group {} (gid {})",
            self.user, self.uid, self.group, self.gid
        )
    }
}

/// A `[process] user` or `group` that names nobody on this system.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No such user name (or uid) in the user database.
    #[error("unknown user {0:?}: no such user on this system")]
    UnknownUser(String),
    /// No such group name in the group database.
    #[error("unknown group {0:?}: no such group on this system")]
    UnknownGroup(String),
    /// A numeric user without a user database entry needs an explicit group.
    #[error("user {0:?} has no entry in the user database; set process.group too")]
    NoPrimaryGroup(String),
    /// The database itself could not be read.
    #[error("cannot look up {name:?}: {source}")]
    Database { name: String, source: nix::Error },
}

/// A user: its uid, and its primary group (None: a numeric uid without a
/// database entry).
pub struct UserEntry {
    pub name: String,
    pub uid: u32,
    pub primary_gid: Option<u32>,
}

/// Looks up `name` (a user name, or a numeric uid).
pub fn lookup_user(name: &str) -> Result<UserEntry, LookupError> {
    let database = |source| LookupError::Database {
        name: name.to_string(),
        source,
    };
    if let Some(user) = User::from_name(name).map_err(database)? {
        return Ok(UserEntry {
            name: user.name,
            uid: user.uid.as_raw(),
            primary_gid: Some(user.gid.as_raw()),
        });
    }
    let Ok(uid) = name.parse::<u32>() else {
        return Err(LookupError::UnknownUser(name.to_string()));
    };
    let entry = User::from_uid(Uid::from_raw(uid)).map_err(database)?;
    Ok(UserEntry {
        name: entry
            .as_ref()
            .map_or_else(|| name.to_string(), |u| u.name.clone()),
        uid,
        primary_gid: entry.map(|u| u.gid.as_raw()),
    })
}

/// Looks up `name` (a group name, or a numeric gid, with or without an
/// entry in the group database).
pub fn lookup_group(name: &str) -> Result<(String, u32), LookupError> {
    let database = |source| LookupError::Database {
        name: name.to_string(),
        source,
    };
    if let Some(group) = Group::from_name(name).map_err(database)? {
        return Ok((group.name, group.gid.as_raw()));
    }
    match name.parse::<u32>() {
        Ok(gid) => Ok((group_name(gid), gid)),
        Err(_) => Err(LookupError::UnknownGroup(name.to_string())),
    }
}

/// The name of `gid` in the group database, else the number.
pub fn group_name(gid: u32) -> String {
    match Group::from_gid(Gid::from_raw(gid)) {
        Ok(Some(group)) => group.name,
        _ => gid.to_string(),
    }
}

/// Why the process could not become its `[process] user`.
#[derive(Debug, thiserror::Error)]
pub enum DropError {
    #[error("cannot drop supplementary groups (setgroups): {0}")]
    SetGroups(nix::Error),
    #[error("cannot set the group id to {gid} (setgid): {source}")]
    SetGid { gid: u32, source: nix::Error },
    #[error("cannot set the user id to {uid} (setuid): {source}")]
    SetUid { uid: u32, source: nix::Error },
    /// The calls returned success but the ids are not the target's.
    #[error(
        "after the drop the process runs as uid {uid}/euid {euid}, gid {gid}/egid {egid}, groups {groups:?}, not {target}"
    )]
    Unverified {
        uid: u32,
        euid: u32,
        gid: u32,
        egid: u32,
        groups: Vec<u32>,
        target: String,
    },
    /// `setuid(0)` still worked after the drop.
    #[error("after the drop the process could become root again")]
    Regained,
}

/// What [`drop_to`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The process was already running as the target user and group.
    AlreadyThere,
    /// The process changed its groups, gid and uid.
    Changed,
}

/// Makes the process run as `target`: supplementary groups, then gid, then
/// uid, then verifies. An error means the process may still hold its old
/// identity (possibly root) and must not go on serving.
pub fn drop_to(target: &RunAs) -> Result<Dropped, DropError> {
    let (uid, gid) = (Uid::from_raw(target.uid), Gid::from_raw(target.gid));
    if unistd::getuid() == uid
        && unistd::geteuid() == uid
        && unistd::getgid() == gid
        && unistd::getegid() == gid
    {
        return Ok(Dropped::AlreadyThere);
    }
    unistd::setgroups(&[gid]).map_err(DropError::SetGroups)?;
    unistd::setgid(gid).map_err(|source| DropError::SetGid {
        gid: target.gid,
        source,
    })?;
    unistd::setuid(uid).map_err(|source| DropError::SetUid {
        uid: target.uid,
        source,
    })?;
    verify(target)?;
    Ok(Dropped::Changed)
}

/// The ids now are exactly `target`'s, and root cannot be regained.
fn verify(target: &RunAs) -> Result<(), DropError> {
    let (uid, euid) = (unistd::getuid().as_raw(), unistd::geteuid().as_raw());
    let (gid, egid) = (unistd::getgid().as_raw(), unistd::getegid().as_raw());
    let groups: Vec<u32> = unistd::getgroups()
        .unwrap_or_default()
        .into_iter()
        .map(Gid::as_raw)
        .collect();
    let groups_ok = groups.iter().all(|g| *g == target.gid);
    if uid != target.uid
        || euid != target.uid
        || gid != target.gid
        || egid != target.gid
        || !groups_ok
    {
        return Err(DropError::Unverified {
            uid,
            euid,
            gid,
            egid,
            groups,
            target: target.to_string(),
        });
    }
    if target.uid != 0 && unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(DropError::Regained);
    }
    Ok(())
}

/// Whether the process (as it is now) may write in `dir` and create files
/// there; a missing folder counts when its parent is writable.
pub fn can_write(dir: &Path) -> bool {
    let target = if dir.exists() {
        dir
    } else {
        match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    };
    unistd::access(target, AccessFlags::W_OK | AccessFlags::X_OK).is_ok()
}

/// Whether the process (as it is now) may read `path`.
pub fn can_read(path: &Path) -> bool {
    unistd::access(path, AccessFlags::R_OK).is_ok()
}

/// The real user id of the process now.
pub fn current_uid() -> u32 {
    unistd::getuid().as_raw()
}

/// Whether the process (as it is now) may list `dir` and read its files.
pub fn can_read_dir(dir: &Path) -> bool {
    unistd::access(dir, AccessFlags::R_OK | AccessFlags::X_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_by_name_and_by_number() {
        let by_name = lookup_user("root").unwrap();
        assert_eq!((by_name.uid, by_name.primary_gid), (0, Some(0)));
        let by_number = lookup_user("0").unwrap();
        assert_eq!(by_number.name, "root");
        assert_eq!(lookup_group("0").unwrap().1, 0);
    }

    #[test]
    fn unknown_names_are_errors_with_the_name() {
        let err = lookup_user("no-such-user-alwayson").err().unwrap();
        assert_eq!(
            err.to_string(),
            "unknown user \"no-such-user-alwayson\": no such user on this system"
        );
        let err = lookup_group("no-such-group-alwayson").err().unwrap();
        assert!(matches!(err, LookupError::UnknownGroup(_)), "{err}");
        // A numeric uid without an entry is accepted; its group is not known.
        let entry = lookup_user("4000000000").unwrap();
        assert_eq!((entry.uid, entry.primary_gid), (4_000_000_000, None));
    }

    #[test]
    fn dropping_to_the_current_identity_changes_nothing() {
        let uid = unistd::getuid().as_raw();
        let gid = unistd::getgid().as_raw();
        if unistd::geteuid().as_raw() != uid || unistd::getegid().as_raw() != gid {
            return;
        }
        let me = RunAs {
            user: uid.to_string(),
            uid,
            group: gid.to_string(),
            gid,
        };
        assert_eq!(drop_to(&me).unwrap(), Dropped::AlreadyThere);
    }
}
