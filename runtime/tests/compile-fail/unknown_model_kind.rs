// A misspelt kind is an error, not a tool model by default.
#[derive(devlake::Model)]
#[devlake(scop)]
pub struct Repo {
    pub url: String,
}

fn main() {}
