// `rename_all` takes one of the listed case rules.
#[derive(Clone, Copy, devlake::Enum)]
#[devlake(rename_all = "kebab-case")]
pub enum State {
    InProgress,
    Done,
}

fn main() {}
