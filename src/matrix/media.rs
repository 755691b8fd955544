//! Media through the homeserver: uploads (a stream passes through with its length, never held
//! whole), the upload limit, and downloads through the authenticated media API.

use serde_json::Value;

use super::client::{MatrixClient, MatrixError, enc};

impl MatrixClient {
    /// Uploads media (as `as_user`); returns its `mxc://` URI.
    pub async fn upload(
        &self,
        as_user: Option<&str>,
        filename: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Result<String, MatrixError> {
        let len = bytes.len() as u64;
        self.upload_body(as_user, filename, mime, len, reqwest::Body::from(bytes))
            .await
    }

    /// Uploads a body of `len` bytes (a stream passes through without being held whole;
    /// Synapse wants the length up front).
    pub async fn upload_body(
        &self,
        as_user: Option<&str>,
        filename: &str,
        mime: &str,
        len: u64,
        body: reqwest::Body,
    ) -> Result<String, MatrixError> {
        let mut url = format!(
            "{}/_matrix/media/v3/upload?filename={}",
            self.base,
            enc(filename)
        );
        if let Some(u) = as_user {
            url.push_str(&format!("&user_id={}", enc(u)));
        }
        let res = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, mime)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await
            .map_err(|e| MatrixError::Unreachable(e.to_string()))?;
        let status = res.status().as_u16();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        match v.get("content_uri").and_then(Value::as_str) {
            Some(uri) if (200..300).contains(&status) => Ok(uri.to_owned()),
            _ => Err(MatrixError::Api {
                status,
                errcode: v["errcode"].as_str().unwrap_or("?").to_owned(),
                message: v["error"].as_str().unwrap_or("upload failed").to_owned(),
            }),
        }
    }

    /// The largest upload the homeserver accepts (`m.upload.size`; `None` if it sets none).
    pub async fn upload_limit(&self) -> Result<Option<u64>, MatrixError> {
        let v = self
            .call(
                reqwest::Method::GET,
                "/_matrix/client/v1/media/config",
                None,
                None,
            )
            .await?;
        Ok(v.get("m.upload.size").and_then(Value::as_u64))
    }

    /// Downloads media through the authenticated media API; returns bytes and content type.
    pub async fn download(&self, mxc: &str) -> Result<(Vec<u8>, Option<String>), MatrixError> {
        let Some((server, id)) = mxc.strip_prefix("mxc://").and_then(|r| r.split_once('/')) else {
            return Err(MatrixError::Api {
                status: 400,
                errcode: "M_INVALID_PARAM".into(),
                message: format!("not an mxc URI: {mxc}"),
            });
        };
        let url = format!(
            "{}/_matrix/client/v1/media/download/{}/{}",
            self.base,
            enc(server),
            enc(id)
        );
        let res = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| MatrixError::Unreachable(e.to_string()))?;
        let status = res.status().as_u16();
        let ctype = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res
            .bytes()
            .await
            .map_err(|e| MatrixError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Err(MatrixError::Api {
                status,
                errcode: v["errcode"].as_str().unwrap_or("?").to_owned(),
                message: v["error"].as_str().unwrap_or("download failed").to_owned(),
            });
        }
        Ok((bytes.to_vec(), ctype))
    }
}
