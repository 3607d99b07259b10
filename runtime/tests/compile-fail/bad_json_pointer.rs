// `source` is an RFC 6901 JSON pointer, not a dotted path.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    #[devlake(source = "result.state")]
    pub state: String,
}

fn main() {}
