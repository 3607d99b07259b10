// Two fields cannot share one column.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    #[devlake(column = "id")]
    pub build_id: String,
}

fn main() {}
