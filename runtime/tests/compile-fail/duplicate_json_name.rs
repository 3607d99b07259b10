// Two fields cannot share one JSON name: the extractor could not tell them apart.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    pub web_url: String,
    #[devlake(rename = "webUrl")]
    pub url: String,
}

fn main() {}
