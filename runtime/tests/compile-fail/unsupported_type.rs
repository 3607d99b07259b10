// `i8` has no column type: refused by the derive with the message `cargo devlake
// migration add` gives for it, on the field's type.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    pub attempt: i8,
}

fn main() {}
