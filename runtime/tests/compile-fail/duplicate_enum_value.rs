// Two variants cannot share one value: parsing it back would be ambiguous.
#[derive(Clone, Copy, devlake::Enum)]
pub enum State {
    Done,
    #[devlake(value = "done")]
    Finished,
}

fn main() {}
