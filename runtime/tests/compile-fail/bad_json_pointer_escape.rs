// In a JSON pointer '~' only starts the escapes ~0 and ~1.
#[derive(devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    #[devlake(source = "/labels/~team")]
    pub team: String,
}

fn main() {}
