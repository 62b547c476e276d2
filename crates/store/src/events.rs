//! Case events and the firm's reminder recipes.

use casewire_model::{CaseEvent, CaseId, EventId, EventKind, FirmId, Offset, RecipeId};
use casewire_scheduler::Recipe;
use chrono_tz::Tz;

use crate::{Result, Store, StoreError, corrupt, found, from_ms, ms, on_pool};

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    case_id: i64,
    title: String,
    kind: String,
    starts_ms: i64,
    ends_ms: Option<i64>,
    time_zone: String,
    location: Option<String>,
    reminders_json: String,
    cancelled: bool,
}

impl EventRow {
    fn into_event(self) -> Result<CaseEvent> {
        let reminders: Vec<Offset> = serde_json::from_str(&self.reminders_json)
            .map_err(|e| corrupt("events", "reminders_json", e))?;
        Ok(CaseEvent {
            id: EventId::new(self.id),
            case_id: CaseId::new(self.case_id),
            title: self.title,
            kind: EventKind::parse(&self.kind).map_err(|e| corrupt("events", "kind", e))?,
            starts_at: from_ms("events", "starts_ms", self.starts_ms)?,
            ends_at: self
                .ends_ms
                .map(|v| from_ms("events", "ends_ms", v))
                .transpose()?,
            time_zone: self
                .time_zone
                .parse::<Tz>()
                .map_err(|e| corrupt("events", "time_zone", e))?,
            location: self.location,
            reminders,
            cancelled: self.cancelled,
        })
    }
}

const EVENT_COLUMNS: &str =
    "id, case_id, title, kind, starts_ms, ends_ms, time_zone, location, reminders_json, cancelled";

fn reminders_json(event: &CaseEvent) -> Result<String> {
    serde_json::to_string(&event.reminders).map_err(|e| corrupt("events", "reminders_json", e))
}

#[derive(sqlx::FromRow)]
struct RecipeRow {
    id: i64,
    recipe_json: String,
}

impl RecipeRow {
    fn into_recipe(self) -> Result<Recipe> {
        let mut recipe: Recipe = serde_json::from_str(&self.recipe_json)
            .map_err(|e| corrupt("recipes", "recipe_json", e))?;
        recipe.id = RecipeId::new(self.id);
        Ok(recipe)
    }
}

impl Store {
    /// Adds an event to a case of the firm; `event.id` is ignored and the new id
    /// returned.
    pub async fn insert_event(&self, firm: FirmId, event: &CaseEvent) -> Result<CaseEvent> {
        let json = reminders_json(event)?;
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO events (firm_id, case_id, title, kind, starts_ms, ends_ms, time_zone,
                                     location, reminders_json, cancelled)
                 SELECT firm_id, id, $1, $2, $3, $4, $5, $6, $7, $8 FROM cases
                 WHERE firm_id = $9 AND id = $10
                 RETURNING id",
            )
            .bind(&event.title)
            .bind(event.kind.as_str())
            .bind(ms(event.starts_at))
            .bind(event.ends_at.map(ms))
            .bind(event.time_zone.name())
            .bind(event.location.as_deref())
            .bind(&json)
            .bind(event.cancelled)
            .bind(firm.get())
            .bind(event.case_id.get())
            .fetch_optional(pool)
            .await?
        });
        let id = id.ok_or(StoreError::NotFound)?;
        Ok(CaseEvent {
            id: EventId::new(id),
            ..event.clone()
        })
    }

    /// Saves every field of an existing event of the firm.
    pub async fn update_event(&self, firm: FirmId, event: &CaseEvent) -> Result<()> {
        let json = reminders_json(event)?;
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE events SET title = $1, kind = $2, starts_ms = $3, ends_ms = $4,
                        time_zone = $5, location = $6, reminders_json = $7, cancelled = $8
                 WHERE firm_id = $9 AND case_id = $10 AND id = $11",
            )
            .bind(&event.title)
            .bind(event.kind.as_str())
            .bind(ms(event.starts_at))
            .bind(event.ends_at.map(ms))
            .bind(event.time_zone.name())
            .bind(event.location.as_deref())
            .bind(&json)
            .bind(event.cancelled)
            .bind(firm.get())
            .bind(event.case_id.get())
            .bind(event.id.get())
            .execute(pool)
            .await?
            .rows_affected()
        });
        found(done)
    }

    /// One event of a case of the firm.
    pub async fn event(&self, firm: FirmId, case_id: CaseId, id: EventId) -> Result<CaseEvent> {
        let row: Option<EventRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE firm_id = $1 AND case_id = $2 AND id = $3"
            ))
            .bind(firm.get())
            .bind(case_id.get())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)?.into_event()
    }

    /// Several events of the firm at once, in one query (a worker's batch of
    /// reminders). Ids of other firms and unknown ids are left out.
    pub async fn events_by_ids(&self, firm: FirmId, ids: &[EventId]) -> Result<Vec<CaseEvent>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<EventRow> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events WHERE +firm_id = "));
                q.push_bind(firm.get()).push(" AND id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(id.get());
                }
                q.push(")");
                q.build_query_as().fetch_all(pool).await?
            });
            for row in rows {
                out.push(row.into_event()?);
            }
        }
        Ok(out)
    }

    /// Every event of a case, cancelled ones included, by start time.
    pub async fn events(&self, firm: FirmId, case_id: CaseId) -> Result<Vec<CaseEvent>> {
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE firm_id = $1 AND case_id = $2
                 ORDER BY starts_ms, id"
            ))
            .bind(firm.get())
            .bind(case_id.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// The firm's recipes, oldest first.
    pub async fn recipes(&self, firm: FirmId) -> Result<Vec<Recipe>> {
        let rows: Vec<RecipeRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, recipe_json FROM recipes WHERE firm_id = $1 ORDER BY id")
                .bind(firm.get())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(RecipeRow::into_recipe).collect()
    }

    /// One recipe of the firm.
    pub async fn recipe(&self, firm: FirmId, id: RecipeId) -> Result<Recipe> {
        let row: Option<RecipeRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, recipe_json FROM recipes WHERE firm_id = $1 AND id = $2")
                .bind(firm.get())
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)?.into_recipe()
    }

    /// Adds a recipe; `recipe.id` is ignored and the stored recipe returned.
    pub async fn insert_recipe(&self, firm: FirmId, recipe: &Recipe) -> Result<Recipe> {
        let json =
            serde_json::to_string(recipe).map_err(|e| corrupt("recipes", "recipe_json", e))?;
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("INSERT INTO recipes (firm_id, recipe_json) VALUES ($1, $2) RETURNING id")
                .bind(firm.get())
                .bind(&json)
                .fetch_one(pool)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
                    _ => StoreError::from(e),
                })?
        });
        let mut stored = recipe.clone();
        stored.id = RecipeId::new(id);
        Ok(stored)
    }

    /// Saves an existing recipe of the firm.
    pub async fn update_recipe(&self, firm: FirmId, recipe: &Recipe) -> Result<()> {
        let json =
            serde_json::to_string(recipe).map_err(|e| corrupt("recipes", "recipe_json", e))?;
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE recipes SET recipe_json = $1 WHERE firm_id = $2 AND id = $3")
                .bind(&json)
                .bind(firm.get())
                .bind(recipe.id.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// Deletes a recipe of the firm.
    pub async fn delete_recipe(&self, firm: FirmId, id: RecipeId) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query("DELETE FROM recipes WHERE firm_id = $1 AND id = $2")
                .bind(firm.get())
                .bind(id.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// The ids of the firm's open cases that have at least one event, for re-planning
    /// after a recipe changes.
    pub async fn open_cases_with_events(&self, firm: FirmId) -> Result<Vec<CaseId>> {
        let ids: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT c.id FROM cases c JOIN events e ON e.case_id = c.id
                 WHERE c.firm_id = $1 AND c.status = 'open' AND e.cancelled = FALSE
                 ORDER BY c.id",
            )
            .bind(firm.get())
            .fetch_all(pool)
            .await?
        });
        Ok(ids.into_iter().map(CaseId::new).collect())
    }
}
