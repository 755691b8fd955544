//! Creating a room under an alias the bot owns, or adopting the one already there: a room
//! whose creation the homeserver never finished (it went down mid-way) keeps its alias but
//! cannot be joined, even by its creator. Adopting it would send every later call into a room
//! the bot is not in, so an adopted room is joined first, and one that refuses is replaced:
//! its alias freed and the room created again.

use serde_json::{Value, json};
use tracing::warn;

use super::{MatrixClient, MatrixError};

impl MatrixClient {
    /// Creates the room `body` describes with the alias `#alias_local:server`, or adopts the
    /// room that alias names (joining `bot` to it); a half-created one is replaced.
    pub async fn create_or_adopt(
        &self,
        alias_local: &str,
        server: &str,
        bot: &str,
        mut body: Value,
    ) -> Result<String, MatrixError> {
        body["room_alias_name"] = json!(alias_local);
        let e = match self.create_room(&body).await {
            Ok(id) => return Ok(id),
            Err(e) if e.errcode() == Some("M_ROOM_IN_USE") => e,
            Err(e) => return Err(e),
        };
        let alias = format!("#{alias_local}:{server}");
        let Some(id) = self.resolve_alias(&alias).await? else {
            return Err(e);
        };
        match self.join(bot, &id).await {
            Ok(()) => Ok(id),
            Err(j) if j.is_transient() => Err(j),
            Err(j) => {
                warn!("the room under the bot's alias cannot be joined ({j}); creating it again");
                self.delete_alias(&alias).await?;
                self.create_room(&body).await
            }
        }
    }
}
