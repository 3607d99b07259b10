// Model attributes do not apply to enums.
#[derive(Clone, Copy, devlake::Enum)]
#[devlake(table = "states")]
pub enum State {
    InProgress,
    Done,
}

fn main() {}
