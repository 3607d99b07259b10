//! The fake plugin's binary: DevLake's remote-plugin protocol for [`fakeplugin::FakePlugin`].

devlake::main!(fakeplugin::FakePlugin);
