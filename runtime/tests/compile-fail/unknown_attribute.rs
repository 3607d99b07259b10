// A misspelt attribute is an error, not silently ignored.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_ky)]
    pub id: String,
}

fn main() {}
