//! The SQLite implementation of [`IamStore`].

use super::{SqliteStore, backend, immediate};
use crate::{AccessKeyRecord, IamEntity, IamEntityKind, IamStore, StoreError};
use async_trait::async_trait;
use kmsd_model::{AccountId, Timestamp};
use rusqlite::{OptionalExtension, params};

fn kind_from(s: &str) -> Result<IamEntityKind, StoreError> {
    match s {
        "user" => Ok(IamEntityKind::User),
        "group" => Ok(IamEntityKind::Group),
        "role" => Ok(IamEntityKind::Role),
        "policy" => Ok(IamEntityKind::Policy),
        _ => Err(StoreError::Corrupt {
            column: "iam_entities.kind",
        }),
    }
}

fn entity_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn entity_from(row: (String, String, String, String)) -> Result<IamEntity, StoreError> {
    let (account, kind, name, document) = row;
    Ok(IamEntity {
        account: account.parse().map_err(|_| StoreError::Corrupt {
            column: "iam_entities.account",
        })?,
        kind: kind_from(&kind)?,
        name,
        document,
    })
}

type KeyRow = (String, String, String, Vec<u8>, String, i64);

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn key_from(row: KeyRow) -> Result<AccessKeyRecord, StoreError> {
    let (access_key_id, account, user_name, sealed_secret, status, created_at) = row;
    let active = match status.as_str() {
        "Active" => true,
        "Inactive" => false,
        _ => {
            return Err(StoreError::Corrupt {
                column: "iam_access_keys.status",
            });
        }
    };
    Ok(AccessKeyRecord {
        access_key_id,
        account: account.parse().map_err(|_| StoreError::Corrupt {
            column: "iam_access_keys.account",
        })?,
        user_name,
        sealed_secret,
        active,
        created_at: Timestamp(created_at),
    })
}

const KEY_COLUMNS: &str = "access_key_id, account, user_name, sealed_secret, status, created_at";

#[async_trait]
impl IamStore for SqliteStore {
    async fn insert_entity(&self, entity: &IamEntity) -> Result<(), StoreError> {
        let e = entity.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let taken = tx
                .query_row(
                    "SELECT 1 FROM iam_entities WHERE account = ?1 AND kind = ?2 AND name = ?3",
                    params![e.account.as_str(), e.kind.as_str(), e.name],
                    |_| Ok(()),
                )
                .optional()
                .map_err(backend)?
                .is_some();
            if taken {
                return Err(StoreError::AlreadyExists);
            }
            tx.execute(
                "INSERT INTO iam_entities (account, kind, name, document) VALUES (?1, ?2, ?3, ?4)",
                params![e.account.as_str(), e.kind.as_str(), e.name, e.document],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn entity(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
    ) -> Result<Option<IamEntity>, StoreError> {
        let (account, name) = (account.to_string(), name.to_owned());
        self.read(move |conn| {
            conn.query_row(
                "SELECT account, kind, name, document FROM iam_entities WHERE account = ?1 AND kind = ?2 AND name = ?3",
                params![account, kind.as_str(), name],
                entity_row,
            )
            .optional()
            .map_err(backend)?
            .map(entity_from)
            .transpose()
        })
        .await
    }

    async fn entities(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
    ) -> Result<Vec<IamEntity>, StoreError> {
        let account = account.to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT account, kind, name, document FROM iam_entities WHERE account = ?1 AND kind = ?2 ORDER BY name",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![account, kind.as_str()], entity_row)
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            rows.into_iter().map(entity_from).collect()
        })
        .await
    }

    async fn update_entities(&self, entities: &[IamEntity]) -> Result<(), StoreError> {
        let entities = entities.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            for e in &entities {
                let changed = tx
                    .execute(
                        "UPDATE iam_entities SET document = ?4 WHERE account = ?1 AND kind = ?2 AND name = ?3",
                        params![e.account.as_str(), e.kind.as_str(), e.name, e.document],
                    )
                    .map_err(backend)?;
                if changed == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn delete_entity(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
    ) -> Result<(), StoreError> {
        let (account, name) = (account.to_string(), name.to_owned());
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "DELETE FROM iam_entities WHERE account = ?1 AND kind = ?2 AND name = ?3",
                    params![account, kind.as_str(), name],
                )
                .map_err(backend)?;
            if changed == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let k = key.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let count: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM iam_access_keys WHERE account = ?1 AND user_name = ?2",
                    params![k.account.as_str(), k.user_name],
                    |row| row.get(0),
                )
                .map_err(backend)?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= max_per_user {
                return Err(StoreError::LimitExceeded);
            }
            tx.execute(
                &format!(
                    "INSERT INTO iam_access_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ),
                params![
                    k.access_key_id,
                    k.account.as_str(),
                    k.user_name,
                    k.sealed_secret,
                    if k.active { "Active" } else { "Inactive" },
                    k.created_at.millis()
                ],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        let id = access_key_id.to_owned();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE access_key_id = ?1"),
                params![id],
                key_row,
            )
            .optional()
            .map_err(backend)?
            .map(key_from)
            .transpose()
        })
        .await
    }

    async fn access_keys_of(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let (account, user) = (account.to_string(), user_name.to_owned());
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE account = ?1 AND user_name = ?2 ORDER BY created_at, access_key_id"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![account, user], key_row)
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            rows.into_iter().map(key_from).collect()
        })
        .await
    }

    async fn set_access_key_active(
        &self,
        account: &AccountId,
        user_name: &str,
        access_key_id: &str,
        active: bool,
    ) -> Result<(), StoreError> {
        let (account, user, id) = (
            account.to_string(),
            user_name.to_owned(),
            access_key_id.to_owned(),
        );
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE iam_access_keys SET status = ?4 WHERE account = ?1 AND user_name = ?2 AND access_key_id = ?3",
                    params![account, user, id, if active { "Active" } else { "Inactive" }],
                )
                .map_err(backend)?;
            if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn delete_access_key(
        &self,
        account: &AccountId,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), StoreError> {
        let (account, user, id) = (
            account.to_string(),
            user_name.to_owned(),
            access_key_id.to_owned(),
        );
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "DELETE FROM iam_access_keys WHERE account = ?1 AND user_name = ?2 AND access_key_id = ?3",
                    params![account, user, id],
                )
                .map_err(backend)?;
            if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        (dir, store)
    }

    fn entity(account: &str, kind: IamEntityKind, name: &str, doc: &str) -> IamEntity {
        IamEntity {
            account: account.parse().unwrap(),
            kind,
            name: name.into(),
            document: doc.into(),
        }
    }

    #[tokio::test]
    async fn entities_are_unique_per_account_and_kind() {
        let (_dir, s) = store();
        let a: AccountId = "111122223333".parse().unwrap();
        s.insert_entity(&entity("111122223333", IamEntityKind::User, "alice", "{}"))
            .await
            .unwrap();
        assert!(matches!(
            s.insert_entity(&entity("111122223333", IamEntityKind::User, "alice", "{}"))
                .await,
            Err(StoreError::AlreadyExists)
        ));
        s.insert_entity(&entity("111122223333", IamEntityKind::Group, "alice", "{}"))
            .await
            .unwrap();
        s.insert_entity(&entity("098765432109", IamEntityKind::User, "alice", "{}"))
            .await
            .unwrap();
        s.insert_entity(&entity("111122223333", IamEntityKind::User, "bob", "{}"))
            .await
            .unwrap();
        let users: Vec<_> = s
            .entities(&a, IamEntityKind::User)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(users, ["alice", "bob"]);
        s.update_entities(&[entity(
            "111122223333",
            IamEntityKind::User,
            "bob",
            "{\"x\":1}",
        )])
        .await
        .unwrap();
        assert_eq!(
            s.entity(&a, IamEntityKind::User, "bob")
                .await
                .unwrap()
                .unwrap()
                .document,
            "{\"x\":1}"
        );
        // All or nothing: one missing entity leaves the other unchanged.
        let r = s
            .update_entities(&[
                entity("111122223333", IamEntityKind::User, "bob", "{\"x\":2}"),
                entity("111122223333", IamEntityKind::User, "carol", "{}"),
            ])
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)));
        assert_eq!(
            s.entity(&a, IamEntityKind::User, "bob")
                .await
                .unwrap()
                .unwrap()
                .document,
            "{\"x\":1}"
        );
        s.delete_entity(&a, IamEntityKind::User, "bob")
            .await
            .unwrap();
        assert!(matches!(
            s.delete_entity(&a, IamEntityKind::User, "bob").await,
            Err(StoreError::NotFound)
        ));
    }

    #[tokio::test]
    async fn access_keys_are_limited_and_owned() {
        let (_dir, s) = store();
        let a: AccountId = "111122223333".parse().unwrap();
        let key = |id: &str| AccessKeyRecord {
            access_key_id: id.into(),
            account: a.clone(),
            user_name: "alice".into(),
            sealed_secret: vec![1, 2, 3],
            active: true,
            created_at: Timestamp(1),
        };
        s.insert_access_key(&key("AKIA1"), 2).await.unwrap();
        s.insert_access_key(&key("AKIA2"), 2).await.unwrap();
        assert!(matches!(
            s.insert_access_key(&key("AKIA3"), 2).await,
            Err(StoreError::LimitExceeded)
        ));
        assert_eq!(s.access_keys_of(&a, "alice").await.unwrap().len(), 2);
        assert!(matches!(
            s.set_access_key_active(&a, "bob", "AKIA1", false).await,
            Err(StoreError::NotFound)
        ));
        s.set_access_key_active(&a, "alice", "AKIA1", false)
            .await
            .unwrap();
        assert!(!s.access_key("AKIA1").await.unwrap().unwrap().active);
        s.delete_access_key(&a, "alice", "AKIA1").await.unwrap();
        assert!(s.access_key("AKIA1").await.unwrap().is_none());
    }
}
