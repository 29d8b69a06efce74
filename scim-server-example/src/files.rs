//! Permissions of the data directory and the SQLite files, which hold
//! personal data and token hashes: the directory `0700`, the files `0600`,
//! whatever the process's umask. A looser existing directory or file is
//! tightened at start-up, with a log line.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The directory's mode.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// The files' mode.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates the data directory `0700` (and any missing parents), or
/// tightens an existing one that others may read.
pub(crate) fn secure_data_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
        builder
            .create(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        return Ok(());
    }
    tighten(dir, DIR_MODE_OR_NONE)
}

/// Creates the database file `0600` if it is missing (SQLite gives its
/// `-wal` and `-shm` files the database file's mode), and tightens the
/// database and its companion files if they exist with a looser mode.
pub(crate) fn secure_database_files(db: &Path) -> anyhow::Result<()> {
    if !db.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
        match options.open(db) {
            Ok(_) => {}
            // Another process created it first: tighten it below.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create the database {}", db.display()));
            }
        }
    }
    for path in companions(db) {
        if path.exists() {
            tighten(&path, FILE_MODE_OR_NONE)?;
        }
    }
    Ok(())
}

/// The database file and the files SQLite keeps beside it.
fn companions(db: &Path) -> Vec<PathBuf> {
    let mut paths = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        paths.push(PathBuf::from(name));
    }
    paths
}

#[cfg(unix)]
const DIR_MODE_OR_NONE: Option<u32> = Some(DIR_MODE);
#[cfg(not(unix))]
const DIR_MODE_OR_NONE: Option<u32> = None;
#[cfg(unix)]
const FILE_MODE_OR_NONE: Option<u32> = Some(FILE_MODE);
#[cfg(not(unix))]
const FILE_MODE_OR_NONE: Option<u32> = None;

/// Removes the group and other permission bits of `path` if it has any.
fn tighten(path: &Path, mode: Option<u32>) -> anyhow::Result<()> {
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt as _;
        let current = std::fs::metadata(path)
            .with_context(|| format!("cannot read the permissions of {}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if current & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(
                || format!("cannot restrict the permissions of {}", path.display()),
            )?;
            tracing::warn!(
                path = %path.display(),
                was = format_args!("{current:o}"),
                now = format_args!("{mode:o}"),
                "restricted the permissions of the server's data: it holds personal data and token hashes"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        // 0 for a missing file fails every assertion below.
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "scim-files-{}-{}",
            std::process::id(),
            scim_core::id::ResourceId::generate()
        ));
        // A failure shows as the tests' first failed assertion.
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    #[test]
    fn a_new_directory_and_database_are_private() {
        let root = scratch();
        let dir = root.join("a/b");
        secure_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("scim.db");
        secure_database_files(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn looser_existing_files_are_tightened() {
        let dir = scratch();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("scim.db");
        let wal = dir.join("scim.db-wal");
        for path in [&db, &wal] {
            std::fs::write(path, b"").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        secure_data_dir(&dir).unwrap();
        secure_database_files(&db).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tighter_files_are_left_alone() {
        let dir = scratch();
        let db = dir.join("scim.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).unwrap();
        secure_database_files(&db).unwrap();
        assert_eq!(mode(&db), 0o400);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
