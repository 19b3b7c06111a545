//! Placeholder for the geo helper's `GeoKey` (replaced on merge).

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeoKey {
    Default,
    Other(String),
}

impl GeoKey {
    pub fn parse(text: &str) -> Result<GeoKey, String> {
        if text == "*" {
            Ok(GeoKey::Default)
        } else {
            Ok(GeoKey::Other(text.to_string()))
        }
    }
}
