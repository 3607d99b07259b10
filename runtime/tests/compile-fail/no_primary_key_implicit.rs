// Without a kind a model is a tool model, and still needs a primary key.
#[derive(devlake::Model)]
pub struct Build {
    pub id: String,
    pub running: bool,
}

fn main() {}
