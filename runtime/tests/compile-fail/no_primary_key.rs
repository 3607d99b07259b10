// A tool model is keyed by connection_id plus its own id: it needs a primary key.
#[derive(devlake::Model)]
#[devlake(tool)]
pub struct Build {
    pub id: String,
    pub running: bool,
}

fn main() {}
